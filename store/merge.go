package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// MergeUndoWindow is how long after a merge it can be undone (POST /v1/contacts/{id}/merges/{merge_id}/undo).
const MergeUndoWindow = 10 * time.Minute

// MergeRecord is one merge as the API shows it: which contact went into which, by whom, and until when it can be undone.
type MergeRecord struct {
	ID            string     `db:"id" json:"id"`
	IntoContactID string     `db:"into_contact_id" json:"into_contact_id"`
	FromContactID string     `db:"from_contact_id" json:"from_contact_id"`
	MergedBy      string     `db:"merged_by" json:"merged_by"`
	MergedAt      time.Time  `db:"merged_at" json:"merged_at"`
	UndoUntil     time.Time  `db:"-" json:"undo_until"`
	UndoneAt      *time.Time `db:"undone_at" json:"undone_at"`
	UndoneBy      *string    `db:"undone_by" json:"undone_by"`
}

// mergeMoves is what a merge moved (contact_merges.moved), for its undo.
type mergeMoves struct {
	Identities []movedIdentity `json:"identities"`
	Tickets    []string        `json:"tickets"`
	Merges     []string        `json:"merges"`
	Contacts   []string        `json:"contacts"`
	Before     contactFields   `json:"before"`
	After      contactFields   `json:"after"`
}

// movedIdentity names an identity by kind and value hash (hex), never by its value.
type movedIdentity struct {
	Kind string `db:"kind" json:"kind"`
	Hash string `db:"hash" json:"hash"`
}

// contactFields are the fields a merge may fill in on the survivor.
type contactFields struct {
	Email       *string         `db:"email" json:"email"`
	Name        string          `db:"name" json:"name"`
	Phone       string          `db:"phone" json:"phone"`
	Country     string          `db:"country" json:"country"`
	Language    string          `db:"language" json:"language"`
	Company     string          `db:"company" json:"company"`
	OwnerUserID *string         `db:"owner_user_id" json:"owner_user_id"`
	Consent     json.RawMessage `db:"consent" json:"consent"`
	Properties  json.RawMessage `db:"properties" json:"properties"`
}

const fieldColumns = `email, name, phone, country, language, company, owner_user_id, coalesce(consent, 'null'::jsonb) AS consent, properties`

func readFields(ctx context.Context, tx *sqlx.Tx, accountID, id string) (contactFields, error) {
	var f contactFields
	if err := tx.GetContext(ctx, &f, `SELECT `+fieldColumns+` FROM contacts WHERE account_id = $1 AND id = $2`, accountID, id); err != nil {
		return f, fmt.Errorf("read fields of %s: %w", id, err)
	}
	return f, nil
}

// MergeContacts merges contact fromID into intoID; see MergeContactsBy.
func (s *Store) MergeContacts(ctx context.Context, accountID, intoID, fromID string) (domain.Contact, error) {
	c, _, err := s.MergeContactsBy(ctx, accountID, intoID, fromID, "")
	return c, err
}

// MergeContactsBy merges contact fromID into intoID for by (a user or token id): identities (with their value
// hashes), tickets, earlier merges and the fields intoID lacks (email, name, phone, country, language, company,
// owner, consent, properties it has not set) move to intoID; fromID is kept only as a pointer to intoID, so
// Contact resolves it there and lists leave it out. Both must be live contacts of the account. What moved is
// recorded, so UndoMerge can put it back within MergeUndoWindow.
func (s *Store) MergeContactsBy(ctx context.Context, accountID, intoID, fromID, by string) (domain.Contact, MergeRecord, error) {
	if intoID == fromID {
		return domain.Contact{}, MergeRecord{}, domain.Invalid("from_contact_id", "is the contact itself")
	}
	var rec MergeRecord
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var live []struct {
			ID    string         `db:"id"`
			Email sql.NullString `db:"email"`
			Name  string         `db:"name"`
		}
		if err := tx.SelectContext(ctx, &live, `SELECT id, email, name FROM contacts WHERE account_id = $1 AND id IN ($2, $3) AND merged_into IS NULL
			ORDER BY id FOR UPDATE`, accountID, intoID, fromID); err != nil {
			return fmt.Errorf("lock contacts: %w", err)
		}
		found := map[string]bool{}
		var from struct {
			Email sql.NullString
			Name  string
		}
		for _, c := range live {
			found[c.ID] = true
			if c.ID == fromID {
				from.Email, from.Name = c.Email, c.Name
			}
		}
		if !found[intoID] {
			return fmt.Errorf("contact %s: %w", intoID, domain.ErrNotFound)
		}
		if !found[fromID] {
			return domain.Invalid("from_contact_id", "is not a contact of this account (or was merged already)")
		}
		var moved mergeMoves
		var err error
		if moved.Before, err = readFields(ctx, tx, accountID, intoID); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &moved.Identities, `UPDATE contact_identities SET contact_id = $2 WHERE account_id = $1 AND contact_id = $3
			RETURNING kind, encode(value_hash, 'hex') AS hash`, accountID, intoID, fromID); err != nil {
			return fmt.Errorf("move identities: %w", err)
		}
		moves := []struct {
			what string
			into *[]string
			sql  string
		}{
			{"move tickets", &moved.Tickets, `UPDATE tickets SET contact_id = $2, updated_at = now() WHERE account_id = $1 AND contact_id = $3 RETURNING id`},
			{"move merges", &moved.Merges, `UPDATE contact_merges SET into_contact_id = $2 WHERE account_id = $1 AND into_contact_id = $3 RETURNING id`},
			{"point merged contacts", &moved.Contacts, `UPDATE contacts SET merged_into = $2 WHERE account_id = $1 AND merged_into = $3 RETURNING id`},
		}
		for _, m := range moves {
			*m.into = []string{}
			if err := tx.SelectContext(ctx, m.into, m.sql, accountID, intoID, fromID); err != nil {
				return fmt.Errorf("%s: %w", m.what, err)
			}
		}
		// the email is unique per account: free it on the merged contact before the survivor may take it
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET merged_into = $2, email = NULL, updated_at = now() WHERE account_id = $1 AND id = $3`,
			accountID, intoID, fromID); err != nil {
			return fmt.Errorf("retire contact: %w", err)
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE contacts c SET email = COALESCE(c.email, $4), name = CASE WHEN c.name = '' THEN f.name ELSE c.name END,
			        phone = CASE WHEN c.phone = '' THEN f.phone ELSE c.phone END,
			        country = CASE WHEN c.country = '' THEN f.country ELSE c.country END,
			        language = CASE WHEN c.language = '' THEN f.language ELSE c.language END,
			        company = CASE WHEN c.company = '' THEN f.company ELSE c.company END,
			        owner_user_id = COALESCE(c.owner_user_id, f.owner_user_id), consent = COALESCE(c.consent, f.consent),
			        properties = f.properties || c.properties, updated_at = now()
			   FROM contacts f WHERE c.account_id = $1 AND c.id = $2 AND f.id = $3`, accountID, intoID, fromID, from.Email)
		if err != nil {
			return fmt.Errorf("merge fields: %w", err)
		}
		if moved.After, err = readFields(ctx, tx, accountID, intoID); err != nil {
			return err
		}
		record, err := json.Marshal(moved)
		if err != nil {
			return fmt.Errorf("encode merge record: %w", err)
		}
		err = tx.GetContext(ctx, &rec, `INSERT INTO contact_merges (id, account_id, into_contact_id, from_contact_id, from_name, from_email, merged_by, moved)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			RETURNING id, into_contact_id, from_contact_id, merged_by, merged_at, undone_at, undone_by`,
			NewID("mrg"), accountID, intoID, fromID, from.Name, from.Email, by, record)
		if err != nil {
			return fmt.Errorf("record merge: %w", err)
		}
		return nil
	})
	if err != nil {
		return domain.Contact{}, MergeRecord{}, fmt.Errorf("merge contacts: %w", err)
	}
	rec.UndoUntil = rec.MergedAt.Add(MergeUndoWindow)
	c, err := s.Contact(ctx, accountID, intoID)
	return c, rec, err
}

// ContactMergedInto returns the contact a merged contact became, "" for a live one; ErrNotFound for none.
func (s *Store) ContactMergedInto(ctx context.Context, accountID, id string) (string, error) {
	var into sql.NullString
	if err := s.db.GetContext(ctx, &into, `SELECT merged_into FROM contacts WHERE id = $1 AND account_id = $2`, id, accountID); err != nil {
		return "", notFound(err, "get contact")
	}
	return into.String, nil
}

// decodeHash is an identity's value hash from its hex form in a merge record.
func decodeHash(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode identity hash: %w", err)
	}
	return b, nil
}
