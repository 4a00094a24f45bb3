package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// MergeContacts merges contact fromID into intoID: identities (with their value hashes), tickets, earlier
// merges and the fields intoID lacks (email, name, phone, country, language, company, owner, consent,
// properties it has not set) move to intoID; fromID is kept only as a pointer to intoID, so Contact
// resolves it there and lists leave it out. Both must be live contacts of the account.
func (s *Store) MergeContacts(ctx context.Context, accountID, intoID, fromID string) (domain.Contact, error) {
	if intoID == fromID {
		return domain.Contact{}, domain.Invalid("from_contact_id", "is the contact itself")
	}
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
		steps := []struct{ what, sql string }{
			{"move identities", `UPDATE contact_identities SET contact_id = $2 WHERE account_id = $1 AND contact_id = $3`},
			{"move tickets", `UPDATE tickets SET contact_id = $2, updated_at = now() WHERE account_id = $1 AND contact_id = $3`},
			{"move merges", `UPDATE contact_merges SET into_contact_id = $2 WHERE account_id = $1 AND into_contact_id = $3`},
			{"point merged contacts", `UPDATE contacts SET merged_into = $2 WHERE account_id = $1 AND merged_into = $3`},
			// the email is unique per account: free it on the merged contact before the survivor may take it
			{"retire contact", `UPDATE contacts SET merged_into = $2, email = NULL, updated_at = now() WHERE account_id = $1 AND id = $3`},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.sql, accountID, intoID, fromID); err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
		_, err := tx.ExecContext(ctx,
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
		_, err = tx.ExecContext(ctx, `INSERT INTO contact_merges (id, account_id, into_contact_id, from_contact_id, from_name, from_email)
			VALUES ($1, $2, $3, $4, $5, $6)`, NewID("mrg"), accountID, intoID, fromID, from.Name, from.Email)
		if err != nil {
			return fmt.Errorf("record merge: %w", err)
		}
		return nil
	})
	if err != nil {
		return domain.Contact{}, fmt.Errorf("merge contacts: %w", err)
	}
	return s.Contact(ctx, accountID, intoID)
}

// ContactMergedInto returns the contact a merged contact became, "" for a live one; ErrNotFound for none.
func (s *Store) ContactMergedInto(ctx context.Context, accountID, id string) (string, error) {
	var into sql.NullString
	if err := s.db.GetContext(ctx, &into, `SELECT merged_into FROM contacts WHERE id = $1 AND account_id = $2`, id, accountID); err != nil {
		return "", notFound(err, "get contact")
	}
	return into.String, nil
}
