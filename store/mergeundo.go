package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// ErrUndoExpired means a merge's grace period (MergeUndoWindow) has passed: it can no longer be undone.
var ErrUndoExpired = errors.New("the merge can no longer be undone")

// UndoneMerge is what undoing a merge gives back: the survivor and the restored contact, as they are now.
type UndoneMerge struct {
	Merge    MergeRecord    `json:"merge"`
	Into     domain.Contact `json:"into"`
	Restored domain.Contact `json:"restored"`
}

// UndoMerge undoes merge mergeID into contact intoID for by, within MergeUndoWindow of the merge: the identities,
// tickets, earlier merges and merged contacts it moved go back to the merged contact, which is live again with
// its email; each survivor field the merge filled in gets its earlier value back unless it was changed since.
// An expired merge is ErrUndoExpired; one undone already, from before merges were recorded, or whose survivor
// was merged into another contact since, is a conflict.
func (s *Store) UndoMerge(ctx context.Context, accountID, intoID, mergeID, by string) (UndoneMerge, error) {
	var out UndoneMerge
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			MergeRecord
			FromEmail *string         `db:"from_email"`
			Moved     json.RawMessage `db:"moved"`
			Now       time.Time       `db:"now"`
		}
		err := tx.GetContext(ctx, &row, `SELECT id, into_contact_id, from_contact_id, merged_by, merged_at, undone_at, undone_by,
			from_email, coalesce(moved, 'null'::jsonb) AS moved, now() AS now
			FROM contact_merges WHERE account_id = $1 AND id = $2 AND into_contact_id = $3 FOR UPDATE`, accountID, mergeID, intoID)
		if err != nil {
			return notFound(err, "get merge")
		}
		until := row.MergedAt.Add(MergeUndoWindow)
		switch {
		case row.UndoneAt != nil:
			return fmt.Errorf("merge %s was undone already at %s: %w", mergeID, row.UndoneAt.UTC().Format(time.RFC3339), domain.ErrConflict)
		case string(row.Moved) == "null":
			return fmt.Errorf("merge %s was made before merges recorded what they moved; it cannot be undone: %w", mergeID, domain.ErrConflict)
		case row.Now.After(until):
			return fmt.Errorf("merge %s was made at %s; a merge can be undone for %d minutes, until %s: %w", mergeID,
				row.MergedAt.UTC().Format(time.RFC3339), int(MergeUndoWindow/time.Minute), until.UTC().Format(time.RFC3339), ErrUndoExpired)
		}
		var moved mergeMoves
		if err := json.Unmarshal(row.Moved, &moved); err != nil {
			return fmt.Errorf("decode merge record: %w", err)
		}
		fromID := row.FromContactID
		var live []struct {
			ID         string  `db:"id"`
			MergedInto *string `db:"merged_into"`
		}
		if err := tx.SelectContext(ctx, &live, `SELECT id, merged_into FROM contacts WHERE account_id = $1 AND id IN ($2, $3) ORDER BY id FOR UPDATE`,
			accountID, intoID, fromID); err != nil {
			return fmt.Errorf("lock contacts: %w", err)
		}
		for _, c := range live {
			if c.ID == intoID && c.MergedInto != nil {
				return fmt.Errorf("contact %s was merged into %s since; undo that merge first: %w", intoID, *c.MergedInto, domain.ErrConflict)
			}
			if c.ID == fromID && (c.MergedInto == nil || *c.MergedInto != intoID) {
				return fmt.Errorf("contact %s is no longer merged into %s: %w", fromID, intoID, domain.ErrConflict)
			}
		}
		if len(live) != 2 {
			return fmt.Errorf("contact %s or %s: %w", intoID, fromID, domain.ErrNotFound)
		}
		if err := moveBack(ctx, tx, accountID, intoID, fromID, moved); err != nil {
			return err
		}
		if err := restoreFields(ctx, tx, accountID, intoID, moved); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET merged_into = NULL, email = $3, updated_at = now() WHERE account_id = $1 AND id = $2`,
			accountID, fromID, row.FromEmail); err != nil {
			return contactEmailConflict(fmt.Errorf("revive contact: %w", err))
		}
		err = tx.GetContext(ctx, &out.Merge, `UPDATE contact_merges SET undone_at = now(), undone_by = $3 WHERE account_id = $1 AND id = $2
			RETURNING id, into_contact_id, from_contact_id, merged_by, merged_at, undone_at, undone_by`, accountID, mergeID, by)
		if err != nil {
			return fmt.Errorf("mark merge undone: %w", err)
		}
		return nil
	})
	if err != nil {
		return UndoneMerge{}, fmt.Errorf("undo merge: %w", err)
	}
	out.Merge.UndoUntil = out.Merge.MergedAt.Add(MergeUndoWindow)
	if out.Into, err = s.Contact(ctx, accountID, intoID); err != nil {
		return out, err
	}
	out.Restored, err = s.Contact(ctx, accountID, out.Merge.FromContactID)
	return out, err
}

// moveBack returns what the merge moved, where it is still the survivor's.
func moveBack(ctx context.Context, tx *sqlx.Tx, accountID, intoID, fromID string, moved mergeMoves) error {
	for _, id := range moved.Identities {
		hash, err := decodeHash(id.Hash)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contact_identities SET contact_id = $3 WHERE account_id = $1 AND contact_id = $2 AND kind = $4 AND value_hash = $5`,
			accountID, intoID, fromID, id.Kind, hash); err != nil {
			return fmt.Errorf("move identity back: %w", err)
		}
	}
	steps := []struct {
		what string
		ids  []string
		sql  string
	}{
		{"move tickets back", moved.Tickets, `UPDATE tickets SET contact_id = $3, updated_at = now() WHERE account_id = $1 AND contact_id = $2 AND id = ANY($4)`},
		{"move merges back", moved.Merges, `UPDATE contact_merges SET into_contact_id = $3 WHERE account_id = $1 AND into_contact_id = $2 AND id = ANY($4)`},
		{"point merged contacts back", moved.Contacts, `UPDATE contacts SET merged_into = $3 WHERE account_id = $1 AND merged_into = $2 AND id = ANY($4)`},
	}
	for _, st := range steps {
		if len(st.ids) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, st.sql, accountID, intoID, fromID, st.ids); err != nil {
			return fmt.Errorf("%s: %w", st.what, err)
		}
	}
	return nil
}

// restoreFields gives each survivor field the merge changed its earlier value, unless it was changed since;
// a property the merge added goes unless its value was changed since.
func restoreFields(ctx context.Context, tx *sqlx.Tx, accountID, intoID string, moved mergeMoves) error {
	now, err := readFields(ctx, tx, accountID, intoID)
	if err != nil {
		return err
	}
	b, a := moved.Before, moved.After
	keep := func(cur, before, after string) string {
		if cur == after {
			return before
		}
		return cur
	}
	if reflect.DeepEqual(now.Email, a.Email) {
		now.Email = b.Email
	}
	if reflect.DeepEqual(now.OwnerUserID, a.OwnerUserID) {
		now.OwnerUserID = b.OwnerUserID
	}
	now.Name, now.Phone = keep(now.Name, b.Name, a.Name), keep(now.Phone, b.Phone, a.Phone)
	now.Country, now.Language = keep(now.Country, b.Country, a.Country), keep(now.Language, b.Language, a.Language)
	now.Company = keep(now.Company, b.Company, a.Company)
	if jsonEqual(now.Consent, a.Consent) {
		now.Consent = b.Consent
	}
	props, err := removeAdded(now.Properties, b.Properties, a.Properties)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE contacts SET email = $3, name = $4, phone = $5, country = $6, language = $7, company = $8,
		owner_user_id = $9, consent = CASE WHEN $10::jsonb = 'null'::jsonb THEN NULL ELSE $10::jsonb END, properties = $11, updated_at = now()
		WHERE account_id = $1 AND id = $2`, accountID, intoID, now.Email, now.Name, now.Phone, now.Country, now.Language, now.Company,
		now.OwnerUserID, []byte(orNull(now.Consent)), []byte(props))
	if err != nil {
		return contactEmailConflict(fmt.Errorf("restore fields: %w", err))
	}
	return nil
}

// removeAdded drops from cur the properties after has and before had not, where cur still holds after's value.
func removeAdded(cur, before, after json.RawMessage) (json.RawMessage, error) {
	var c, b, a map[string]any
	for _, d := range []struct {
		raw json.RawMessage
		to  *map[string]any
	}{{cur, &c}, {before, &b}, {after, &a}} {
		if err := json.Unmarshal(orEmptyObject(d.raw), d.to); err != nil {
			return nil, fmt.Errorf("decode properties: %w", err)
		}
	}
	for k, v := range a {
		if _, had := b[k]; !had && reflect.DeepEqual(c[k], v) {
			delete(c, k)
		}
	}
	out, err := json.Marshal(orEmpty(c))
	if err != nil {
		return nil, fmt.Errorf("encode properties: %w", err)
	}
	return out, nil
}

func jsonEqual(x, y json.RawMessage) bool {
	var a, b any
	if json.Unmarshal(orNull(x), &a) != nil || json.Unmarshal(orNull(y), &b) != nil {
		return bytes.Equal(x, y)
	}
	return reflect.DeepEqual(a, b)
}

func orNull(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage("null")
	}
	return r
}

func orEmptyObject(r json.RawMessage) json.RawMessage {
	if len(r) == 0 || string(r) == "null" {
		return json.RawMessage("{}")
	}
	return r
}
