package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// Identity kinds under which a contact is found again.
const (
	IdentityEmail = "email"
	// IdentityChannelUser is a visitor id that only means something on one channel;
	// its value is "<channel id>:<external user id>".
	IdentityChannelUser = "channel_user"
	// IdentityPhone is a phone number in E.164 form, in any channel (calls, forms).
	IdentityPhone = "phone"
)

// ResolvedContact is the contact an inbound message belongs to.
type ResolvedContact struct {
	ContactID string `json:"contact_id"`
	IsNew     bool   `json:"is_new"`
}

type identity struct{ kind, value string }

func identitiesOf(channelID string, a domain.Author) []identity {
	var ids []identity
	if e := strings.ToLower(strings.TrimSpace(a.Email)); e != "" {
		ids = append(ids, identity{IdentityEmail, e})
	}
	if a.ExternalUserID != "" {
		ids = append(ids, identity{IdentityChannelUser, channelID + ":" + a.ExternalUserID})
	}
	if a.Phone != "" {
		ids = append(ids, identity{IdentityPhone, a.Phone})
	}
	return ids
}

// UpsertContact finds the contact an author is known as (by email, then by
// channel visitor id), creating it when unknown, and links every identity
// of the author to it. Safe to repeat and to run concurrently.
func (s *Store) UpsertContact(ctx context.Context, accountID, channelID string, a domain.Author) (ResolvedContact, error) {
	ids := identitiesOf(channelID, a)
	if len(ids) == 0 {
		return ResolvedContact{}, fmt.Errorf("upsert contact: %w", domain.Invalid("from", "the sender has neither an email nor an external user id"))
	}
	var out ResolvedContact
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Serialise upserts of the same identities so two messages never create two contacts.
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, accountID+"|"+id.kind+"|"+id.value); err != nil {
				return fmt.Errorf("lock identity: %w", err)
			}
		}
		contactID, err := findContact(ctx, tx, accountID, ids)
		if err != nil {
			return err
		}
		if contactID == "" {
			contactID = NewID("ct")
			var email sql.NullString
			if ids[0].kind == IdentityEmail {
				email = sql.NullString{String: strings.TrimSpace(a.Email), Valid: true}
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO contacts (id, account_id, email, name, phone) VALUES ($1, $2, $3, $4, $5)`,
				contactID, accountID, email, a.Name, a.Phone); err != nil {
				return fmt.Errorf("insert contact: %w", err)
			}
			out.IsNew = true
		} else if a.Name != "" || a.Phone != "" {
			if _, err := tx.ExecContext(ctx,
				`UPDATE contacts SET name = CASE WHEN name = '' THEN $3 ELSE name END,
				        phone = CASE WHEN phone = '' THEN $4 ELSE phone END, updated_at = now()
				  WHERE id = $1 AND account_id = $2 AND ((name = '' AND $3 <> '') OR (phone = '' AND $4 <> ''))`,
				contactID, accountID, a.Name, a.Phone); err != nil {
				return fmt.Errorf("name contact: %w", err)
			}
		}
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO contact_identities (account_id, kind, value, value_hash, contact_id) VALUES ($1, $2, $3, $4, $5)
				 ON CONFLICT DO NOTHING`, accountID, id.kind, id.value, keyHash(id.value), contactID); err != nil {
				return fmt.Errorf("link identity: %w", err)
			}
		}
		out.ContactID = contactID
		return nil
	})
	if err != nil {
		return ResolvedContact{}, fmt.Errorf("upsert contact: %w", err)
	}
	return out, nil
}

func findContact(ctx context.Context, tx *sqlx.Tx, accountID string, ids []identity) (string, error) {
	for _, id := range ids {
		var contactID string
		err := tx.GetContext(ctx, &contactID,
			`SELECT contact_id FROM contact_identities WHERE account_id = $1 AND kind = $2 AND value_hash = $3`,
			accountID, id.kind, keyHash(id.value))
		if err == nil {
			return contactID, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("find identity: %w", err)
		}
		if id.kind == IdentityPhone { // a contact given its phone before phones were identities
			err = tx.GetContext(ctx, &contactID,
				`SELECT id FROM contacts WHERE account_id = $1 AND phone = $2 AND merged_into IS NULL ORDER BY created_at LIMIT 1`, accountID, id.value)
			if err == nil {
				return contactID, nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return "", fmt.Errorf("find contact by phone: %w", err)
			}
		}
		if id.kind == IdentityEmail { // a contact created through the API has no identity row yet
			err = tx.GetContext(ctx, &contactID,
				`SELECT id FROM contacts WHERE account_id = $1 AND lower(email) = $2`, accountID, id.value)
			if err == nil {
				return contactID, nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return "", fmt.Errorf("find contact by email: %w", err)
			}
		}
	}
	return "", nil
}

const contactColumns = `id, email, name, owner_user_id, phone, country, language, company, properties, consent, created_at, updated_at`

type contactRow struct {
	ID          string          `db:"id"`
	Email       sql.NullString  `db:"email"`
	Name        string          `db:"name"`
	OwnerUserID sql.NullString  `db:"owner_user_id"`
	Phone       string          `db:"phone"`
	Country     string          `db:"country"`
	Language    string          `db:"language"`
	Company     string          `db:"company"`
	Properties  json.RawMessage `db:"properties"`
	Consent     []byte          `db:"consent"`
	CreatedAt   time.Time       `db:"created_at"`
	UpdatedAt   time.Time       `db:"updated_at"`
}

func (r contactRow) contact() (domain.Contact, error) {
	c := domain.Contact{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Email: ptr(r.Email), OwnerUserID: ptr(r.OwnerUserID), Phone: r.Phone, Country: r.Country, Language: r.Language, Company: r.Company}
	if err := json.Unmarshal(r.Properties, &c.Properties); err != nil {
		return c, fmt.Errorf("decode properties of %s: %w", r.ID, err)
	}
	if len(r.Consent) > 0 && string(r.Consent) != "null" {
		c.Consent = &domain.Consent{}
		if err := json.Unmarshal(r.Consent, c.Consent); err != nil {
			return c, fmt.Errorf("decode consent of %s: %w", r.ID, err)
		}
	}
	return c, nil
}

func ptr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// Contact returns one contact of the account; a merged contact's id gives the contact it was merged into.
func (s *Store) Contact(ctx context.Context, accountID, id string) (domain.Contact, error) {
	var row contactRow
	err := s.db.GetContext(ctx, &row, `SELECT `+contactColumns+` FROM contacts
		WHERE id = (SELECT COALESCE(merged_into, id) FROM contacts WHERE id = $1 AND account_id = $2) AND account_id = $2`, id, accountID)
	if err != nil {
		return domain.Contact{}, notFound(err, "get contact")
	}
	return s.withIdentities(ctx, accountID, row)
}

// ContactWrite is what creating or changing a contact stores.
type ContactWrite struct {
	Email       *string
	Name        string
	OwnerUserID *string
	Phone       string
	Country     string
	Language    string
	Company     string
	Properties  map[string]any
	// ExternalIDs are the contact's channel user ids; an update replaces the list (nil: leave it as it is).
	ExternalIDs []domain.ExternalID
}

func (s *Store) checkOwner(ctx context.Context, q sqlx.QueryerContext, accountID string, owner *string) error {
	if owner == nil {
		return nil
	}
	var exists bool
	if err := sqlx.GetContext(ctx, q, &exists, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND account_id = $2)`, *owner, accountID); err != nil {
		return fmt.Errorf("look up owner: %w", err)
	}
	if !exists {
		return domain.Invalid("owner_user_id", "user "+*owner+" does not exist in this account")
	}
	return nil
}

func contactEmailConflict(err error) error {
	if isUniqueViolation(err, "contacts_account_email") {
		return fmt.Errorf("a contact with this email exists in this account: %w", domain.ErrConflict)
	}
	return err
}

// CreateContact adds a contact to the account. Its email and phone become
// identities inbound messages find it by; one that already identifies another
// contact is a *domain.IdentityConflict.
func (s *Store) CreateContact(ctx context.Context, accountID string, c ContactWrite) (domain.Contact, error) {
	if err := s.checkOwner(ctx, s.db, accountID, c.OwnerUserID); err != nil {
		return domain.Contact{}, fmt.Errorf("create contact: %w", err)
	}
	props, _ := json.Marshal(orEmpty(c.Properties))
	var row contactRow
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		id := NewID("ct")
		if err := claimIdentities(ctx, tx, accountID, id, c); err != nil {
			return err
		}
		err := tx.QueryRowxContext(ctx,
			`INSERT INTO contacts (id, account_id, email, name, owner_user_id, properties, phone, country, language, company)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			 RETURNING `+contactColumns, id, accountID, c.Email, c.Name, c.OwnerUserID, props,
			c.Phone, c.Country, c.Language, c.Company).StructScan(&row)
		if err != nil {
			return contactEmailConflict(err)
		}
		if err := linkIdentities(ctx, tx, accountID, id, c); err != nil {
			return err
		}
		return setExternalIDs(ctx, tx, accountID, id, orNone(c.ExternalIDs))
	})
	if err != nil {
		return domain.Contact{}, fmt.Errorf("create contact: %w", err)
	}
	return s.withIdentities(ctx, accountID, row)
}

// UpdateContact replaces a contact's fields; its email and phone become
// identities as in CreateContact (the earlier ones keep matching).
func (s *Store) UpdateContact(ctx context.Context, accountID, id string, c ContactWrite) (domain.Contact, error) {
	if err := s.checkOwner(ctx, s.db, accountID, c.OwnerUserID); err != nil {
		return domain.Contact{}, fmt.Errorf("update contact: %w", err)
	}
	props, _ := json.Marshal(orEmpty(c.Properties))
	var row contactRow
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := claimIdentities(ctx, tx, accountID, id, c); err != nil {
			return err
		}
		err := tx.QueryRowxContext(ctx,
			`UPDATE contacts SET email = $3, name = $4, owner_user_id = $5, properties = $6,
			        phone = $7, country = $8, language = $9, company = $10, updated_at = now()
			  WHERE id = $1 AND account_id = $2 AND merged_into IS NULL RETURNING `+contactColumns, id, accountID, c.Email, c.Name, c.OwnerUserID, props,
			c.Phone, c.Country, c.Language, c.Company).StructScan(&row)
		if err != nil {
			if c := contactEmailConflict(err); c != err {
				return c
			}
			return notFound(err, "update contact")
		}
		if err := linkIdentities(ctx, tx, accountID, id, c); err != nil {
			return err
		}
		if c.ExternalIDs == nil {
			return nil
		}
		return setExternalIDs(ctx, tx, accountID, id, c.ExternalIDs)
	})
	if err != nil {
		return domain.Contact{}, fmt.Errorf("update contact: %w", err)
	}
	return s.withIdentities(ctx, accountID, row)
}

// writtenIdentities are the identities a contact write gives: its email and phone.
func writtenIdentities(c ContactWrite) []struct{ field, kind, value string } {
	var out []struct{ field, kind, value string }
	if c.Email != nil && strings.TrimSpace(*c.Email) != "" {
		out = append(out, struct{ field, kind, value string }{"email", IdentityEmail, strings.ToLower(strings.TrimSpace(*c.Email))})
	}
	if c.Phone != "" {
		out = append(out, struct{ field, kind, value string }{"phone", IdentityPhone, c.Phone})
	}
	return out
}

// claimIdentities locks the write's identities (as UpsertContact does) and
// refuses one that already identifies another contact, or is another
// contact's email or phone.
func claimIdentities(ctx context.Context, tx *sqlx.Tx, accountID, contactID string, c ContactWrite) error {
	for _, id := range writtenIdentities(c) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, accountID+"|"+id.kind+"|"+id.value); err != nil {
			return fmt.Errorf("lock identity: %w", err)
		}
		var other string
		err := tx.GetContext(ctx, &other,
			`SELECT i.contact_id FROM contact_identities i JOIN contacts ct ON ct.id = i.contact_id
			  WHERE i.account_id = $1 AND i.kind = $2 AND i.value_hash = $3 AND i.contact_id <> $4 AND ct.merged_into IS NULL
			 UNION ALL
			 SELECT id FROM contacts WHERE account_id = $1 AND id <> $4 AND merged_into IS NULL
			    AND (($2 = 'email' AND lower(email) = $5) OR ($2 = 'phone' AND phone = $5))
			 LIMIT 1`, accountID, id.kind, keyHash(id.value), contactID, id.value)
		if err == nil {
			return &domain.IdentityConflict{Field: id.field, Value: id.value, ContactID: other}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("check identity: %w", err)
		}
	}
	return nil
}

// linkIdentities makes the write's identities find the contact.
func linkIdentities(ctx context.Context, tx *sqlx.Tx, accountID, contactID string, c ContactWrite) error {
	for _, id := range writtenIdentities(c) {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO contact_identities (account_id, kind, value, value_hash, contact_id) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT DO NOTHING`, accountID, id.kind, id.value, keyHash(id.value), contactID); err != nil {
			return fmt.Errorf("link identity: %w", err)
		}
	}
	return nil
}

// ListContacts returns a page of the account's contacts, optionally only the one with an email.
func (s *Store) ListContacts(ctx context.Context, accountID, email string, page Page) ([]domain.Contact, error) {
	var rows []contactRow
	err := s.db.SelectContext(ctx, &rows,
		`SELECT `+contactColumns+` FROM contacts
		  WHERE account_id = $1 AND merged_into IS NULL AND ($2 = '' OR lower(email) = lower($2)) AND id > $3 ORDER BY id LIMIT $4`,
		accountID, email, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	out := make([]domain.Contact, 0, len(rows))
	for _, r := range rows {
		c, err := r.contact()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// RecordConsent stores the GDPR consent a contact gave.
func (s *Store) RecordConsent(ctx context.Context, accountID, contactID string, c domain.Consent) error {
	return s.setJSON(ctx, "contacts", "consent", accountID, contactID, c)
}

// ChannelUserConsent is the consent of the contact known on a channel by a visitor id, nil if none.
func (s *Store) ChannelUserConsent(ctx context.Context, accountID, channelID, externalUserID string) (*domain.Consent, error) {
	var raw []byte
	err := s.db.GetContext(ctx, &raw,
		`SELECT coalesce(c.consent, 'null'::jsonb) FROM contact_identities i JOIN contacts c ON c.id = i.contact_id
		  WHERE i.account_id = $1 AND i.kind = $2 AND i.value_hash = $3`, accountID, IdentityChannelUser, keyHash(channelID+":"+externalUserID))
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read consent: %w", err)
	}
	if string(raw) == "null" {
		return nil, nil
	}
	var c domain.Consent
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode consent: %w", err)
	}
	return &c, nil
}
