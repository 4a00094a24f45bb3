package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// Identity is one way a contact is found again: an email, a phone in E.164, or an external id
// (kind channel_user: a visitor, page-scoped or WhatsApp id on one channel).
type Identity struct {
	Kind  string `db:"kind" json:"kind"`
	Value string `db:"value" json:"value"`
	// ChannelID and ExternalID split a channel_user identity's value.
	ChannelID  *string `db:"-" json:"channel_id,omitempty"`
	ExternalID *string `db:"-" json:"external_id,omitempty"`
}

// IdentityList lists a live contact's identities one by one, by kind then value (what a merge moves).
func (s *Store) IdentityList(ctx context.Context, accountID, contactID string) ([]Identity, error) {
	return identitiesOfContact(ctx, s.db, accountID, contactID)
}

func identitiesOfContact(ctx context.Context, q sqlx.QueryerContext, accountID, contactID string) ([]Identity, error) {
	ids := []Identity{}
	if err := sqlx.SelectContext(ctx, q, &ids, `SELECT kind, value FROM contact_identities WHERE account_id = $1 AND contact_id = $2 ORDER BY kind, value`,
		accountID, contactID); err != nil {
		return nil, fmt.Errorf("list identities: %w", err)
	}
	for i, id := range ids {
		if id.Kind != IdentityChannelUser {
			continue
		}
		if ch, ext, ok := strings.Cut(id.Value, ":"); ok {
			ids[i].ChannelID, ids[i].ExternalID = &ch, &ext
		}
	}
	return ids, nil
}

// Duplicate is a contact that may be the same person as another, and why.
type Duplicate struct {
	Contact domain.Contact `json:"contact"`
	// Reasons are "email" (an email in common), "phone" (a phone in E.164 in common) and "name_company" (the same name at the same company).
	Reasons []string `json:"reasons"`
}

// duplicatesSQL finds the live contacts of the account sharing an email or a phone (as a field or an identity)
// with contact $2, or its name and company (case-insensitive, both set). At most 20, oldest first.
const duplicatesSQL = `
WITH me AS (SELECT id, email, phone, lower(name) AS name, lower(company) AS company FROM contacts
             WHERE account_id = $1 AND id = $2 AND merged_into IS NULL),
emails AS (SELECT lower(email) AS v FROM me WHERE email IS NOT NULL
           UNION SELECT value FROM contact_identities WHERE account_id = $1 AND contact_id = $2 AND kind = 'email'),
phones AS (SELECT phone AS v FROM me WHERE phone <> ''
           UNION SELECT value FROM contact_identities WHERE account_id = $1 AND contact_id = $2 AND kind = 'phone'),
found AS (
  SELECT c.id, 'email' AS why FROM emails e JOIN contacts c ON c.account_id = $1 AND lower(c.email) = e.v
  UNION SELECT i.contact_id, 'email' FROM emails e JOIN contact_identities i
         ON i.account_id = $1 AND i.kind = 'email' AND i.value_hash = sha256(convert_to(e.v, 'UTF8'))
  UNION SELECT c.id, 'phone' FROM phones p JOIN contacts c ON c.account_id = $1 AND c.phone = p.v AND c.phone <> '' AND c.merged_into IS NULL
  UNION SELECT i.contact_id, 'phone' FROM phones p JOIN contact_identities i
         ON i.account_id = $1 AND i.kind = 'phone' AND i.value_hash = sha256(convert_to(p.v, 'UTF8'))
  UNION SELECT c.id, 'name_company' FROM me JOIN contacts c ON c.account_id = $1 AND lower(c.name) = me.name AND lower(c.company) = me.company
         AND c.company <> '' AND c.name <> '' AND c.merged_into IS NULL
   WHERE me.name <> '' AND me.company <> ''
)
SELECT c.id AS id, array_agg(DISTINCT f.why ORDER BY f.why) AS reasons
  FROM found f JOIN contacts c ON c.id = f.id AND c.account_id = $1 AND c.merged_into IS NULL
 WHERE c.id <> $2
 GROUP BY c.id, c.created_at ORDER BY c.created_at, c.id LIMIT 20`

// Duplicates lists the contacts that may be the same person as a live contact (see Duplicate), tenant-scoped.
func (s *Store) Duplicates(ctx context.Context, accountID, contactID string) ([]Duplicate, error) {
	var rows []struct {
		ID      string    `db:"id"`
		Reasons textArray `db:"reasons"`
	}
	if err := s.db.SelectContext(ctx, &rows, duplicatesSQL, accountID, contactID); err != nil {
		return nil, fmt.Errorf("find duplicates: %w", err)
	}
	out := make([]Duplicate, 0, len(rows))
	for _, r := range rows {
		c, err := s.Contact(ctx, accountID, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Duplicate{Contact: c, Reasons: r.Reasons})
	}
	return out, nil
}

// MergePreview is what merging one contact into another would do, changing nothing.
type MergePreview struct {
	Into domain.Contact `json:"into"`
	From domain.Contact `json:"from"`
	// Result is the survivor's fields after the merge.
	Result domain.Contact `json:"result"`
	// Fields lists each field whose value the merge would fill in on the survivor.
	Fields []FieldChange `json:"fields"`
	// Identities, Tickets and MergedContacts move to the survivor.
	Identities     []Identity     `json:"identities"`
	Tickets        []MovedTicket  `json:"tickets"`
	MergedContacts []string       `json:"merged_contacts"`
	UndoWindow     DurationString `json:"undo_window"`
}

// FieldChange is a survivor field the merge fills in from the merged contact.
type FieldChange struct {
	Field string `json:"field"`
	Into  any    `json:"into"`
	From  any    `json:"from"`
}

// MovedTicket is a ticket a merge moves: enough to list it.
type MovedTicket struct {
	ID        string    `db:"id" json:"id"`
	Subject   string    `db:"subject" json:"subject"`
	Status    string    `db:"status" json:"status"`
	ChannelID *string   `db:"channel_id" json:"channel_id"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// DurationString is a duration shown as Go writes it ("10m0s").
type DurationString string

// PreviewMerge says what MergeContactsBy(intoID, fromID) would move and fill in; it changes nothing.
func (s *Store) PreviewMerge(ctx context.Context, accountID, intoID, fromID string) (MergePreview, error) {
	if intoID == fromID {
		return MergePreview{}, domain.Invalid("from_contact_id", "is the contact itself")
	}
	into, err := s.Contact(ctx, accountID, intoID)
	if err != nil {
		return MergePreview{}, err
	}
	from, err := s.Contact(ctx, accountID, fromID)
	if err != nil || from.ID != fromID {
		return MergePreview{}, domain.Invalid("from_contact_id", "is not a contact of this account (or was merged already)")
	}
	p := MergePreview{Into: into, From: from, UndoWindow: DurationString(MergeUndoWindow.String()), Tickets: []MovedTicket{}, MergedContacts: []string{}}
	if p.Identities, err = s.IdentityList(ctx, accountID, fromID); err != nil {
		return p, err
	}
	if err := s.db.SelectContext(ctx, &p.Tickets, `SELECT id, subject, status, channel_id, created_at FROM tickets
		WHERE account_id = $1 AND contact_id = $2 ORDER BY created_at DESC, id`, accountID, fromID); err != nil {
		return p, fmt.Errorf("list tickets to move: %w", err)
	}
	if err := s.db.SelectContext(ctx, &p.MergedContacts, `SELECT id FROM contacts WHERE account_id = $1 AND merged_into = $2 ORDER BY id`,
		accountID, fromID); err != nil {
		return p, fmt.Errorf("list merged contacts: %w", err)
	}
	p.Result, p.Fields = mergedFields(into, from)
	return p, nil
}

// mergedFields mirrors MergeContactsBy's field rule: the survivor keeps what it has set, takes the rest.
func mergedFields(into, from domain.Contact) (domain.Contact, []FieldChange) {
	r := into
	changes := []FieldChange{}
	fill := func(name string, cur *string, other string) {
		if *cur == "" && other != "" {
			changes = append(changes, FieldChange{Field: name, Into: *cur, From: other})
			*cur = other
		}
	}
	fill("name", &r.Name, from.Name)
	fill("phone", &r.Phone, from.Phone)
	fill("country", &r.Country, from.Country)
	fill("language", &r.Language, from.Language)
	fill("company", &r.Company, from.Company)
	if r.Email == nil && from.Email != nil {
		changes = append(changes, FieldChange{Field: "email", Into: nil, From: *from.Email})
		r.Email = from.Email
	}
	if r.OwnerUserID == nil && from.OwnerUserID != nil {
		changes = append(changes, FieldChange{Field: "owner_user_id", Into: nil, From: *from.OwnerUserID})
		r.OwnerUserID = from.OwnerUserID
	}
	if r.Consent == nil && from.Consent != nil {
		changes = append(changes, FieldChange{Field: "consent", Into: nil, From: from.Consent})
		r.Consent = from.Consent
	}
	props := map[string]any{}
	keys := []string{}
	for k, v := range from.Properties {
		props[k] = v
		if _, ok := into.Properties[k]; !ok {
			keys = append(keys, k)
		}
	}
	for k, v := range into.Properties {
		props[k] = v
	}
	sort.Strings(keys)
	for _, k := range keys {
		changes = append(changes, FieldChange{Field: "properties." + k, Into: nil, From: from.Properties[k]})
	}
	r.Properties = props
	return r, changes
}
