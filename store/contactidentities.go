package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// ContactIdentities returns every identity the contact is matched by: its
// emails, phone numbers and external ids (the channel user ids it wrote from).
func (s *Store) ContactIdentities(ctx context.Context, accountID, contactID string) (domain.ContactIdentities, error) {
	return contactIdentities(ctx, s.db, accountID, contactID)
}

func contactIdentities(ctx context.Context, q sqlx.QueryerContext, accountID, contactID string) (domain.ContactIdentities, error) {
	out := domain.ContactIdentities{Emails: []string{}, Phones: []string{}, ExternalIDs: []domain.ExternalID{}}
	var rows []struct {
		Kind  string `db:"kind"`
		Value string `db:"value"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows,
		`SELECT kind, value FROM contact_identities WHERE account_id = $1 AND contact_id = $2
		 UNION SELECT 'email', lower(email) FROM contacts WHERE id = $2 AND account_id = $1 AND email IS NOT NULL
		 UNION SELECT 'phone', phone FROM contacts WHERE id = $2 AND account_id = $1 AND phone <> ''
		 ORDER BY 1, 2`, accountID, contactID); err != nil {
		return out, fmt.Errorf("read contact identities: %w", err)
	}
	for _, r := range rows {
		switch r.Kind {
		case IdentityEmail:
			out.Emails = append(out.Emails, r.Value)
		case IdentityPhone:
			out.Phones = append(out.Phones, r.Value)
		case IdentityChannelUser:
			if ch, user, ok := strings.Cut(r.Value, ":"); ok {
				out.ExternalIDs = append(out.ExternalIDs, domain.ExternalID{ChannelID: ch, ExternalUserID: user})
			}
		}
	}
	return out, nil
}

// externalValue is the channel_user identity of an external id.
func externalValue(e domain.ExternalID) string { return e.ChannelID + ":" + e.ExternalUserID }

// setExternalIDs makes the contact's external ids exactly ids: it refuses a
// channel outside the account (invalid) and an id that identifies another
// contact (*domain.IdentityConflict), links the new ones and drops the rest.
func setExternalIDs(ctx context.Context, tx *sqlx.Tx, accountID, contactID string, ids []domain.ExternalID) error {
	values := make([]string, 0, len(ids))
	for i, e := range ids {
		field := fmt.Sprintf("external_ids[%d]", i)
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM channels WHERE id = $1 AND account_id = $2)`, e.ChannelID, accountID); err != nil {
			return fmt.Errorf("look up the external id's channel: %w", err)
		}
		if !exists {
			return domain.Invalid(field+".channel_id", "channel "+e.ChannelID+" does not exist in this account")
		}
		value := externalValue(e)
		if slices.Contains(values, value) {
			return domain.Invalid(field, "is listed twice")
		}
		values = append(values, value)
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, accountID+"|"+IdentityChannelUser+"|"+value); err != nil {
			return fmt.Errorf("lock identity: %w", err)
		}
		var other string
		err := tx.GetContext(ctx, &other,
			`SELECT i.contact_id FROM contact_identities i JOIN contacts ct ON ct.id = i.contact_id
			  WHERE i.account_id = $1 AND i.kind = $2 AND i.value_hash = $3 AND i.contact_id <> $4 AND ct.merged_into IS NULL LIMIT 1`,
			accountID, IdentityChannelUser, keyHash(value), contactID)
		if err == nil {
			return &domain.IdentityConflict{Field: field, Value: value, ContactID: other}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("check identity: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx,
		`DELETE FROM contact_identities WHERE account_id = $1 AND contact_id = $2 AND kind = $3 AND NOT (value = ANY($4))`,
		accountID, contactID, IdentityChannelUser, values); err != nil {
		return fmt.Errorf("drop external ids: %w", err)
	}
	for _, v := range values {
		// an identity of a merged-away contact is taken over; any other is this contact's already
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO contact_identities (account_id, kind, value, value_hash, contact_id) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (account_id, kind, value_hash) DO UPDATE SET contact_id = EXCLUDED.contact_id`,
			accountID, IdentityChannelUser, v, keyHash(v), contactID); err != nil {
			return fmt.Errorf("link external id: %w", err)
		}
	}
	return nil
}

// withIdentities is the contact of row with its identities.
func (s *Store) withIdentities(ctx context.Context, accountID string, row contactRow) (domain.Contact, error) {
	c, err := row.contact()
	if err != nil {
		return c, err
	}
	ids, err := contactIdentities(ctx, s.db, accountID, c.ID)
	if err != nil {
		return c, err
	}
	c.Identities = &ids
	return c, nil
}

// orNone is ids, or an empty list for nil.
func orNone(ids []domain.ExternalID) []domain.ExternalID {
	if ids == nil {
		return []domain.ExternalID{}
	}
	return ids
}
