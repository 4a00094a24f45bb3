package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// TicketEdit changes a ticket's priority, tags and custom properties; nil and empty fields leave theirs as they are.
// The caller validates and normalizes the values (domain.ValidTicketPriority, domain.NormalizeTags).
type TicketEdit struct {
	Priority *string
	// Tags replaces the tags; AddTags and RemoveTags then add (at the end) and remove tags.
	Tags       *[]string
	AddTags    []string
	RemoveTags []string
	// MergeProperties, when set, makes the new properties (JSON) from the current ones, under the ticket's lock.
	MergeProperties func(current []byte) ([]byte, error)
	// ActorUserID is who made the change ("" for routedesk itself); Via is the route it came from.
	ActorUserID string
	Via         string
}

// Empty reports whether the edit changes nothing.
func (e TicketEdit) Empty() bool {
	return e.Priority == nil && e.Tags == nil && len(e.AddTags) == 0 && len(e.RemoveTags) == 0 && e.MergeProperties == nil
}

// EditTicket applies an edit under the ticket's lock and records it on the audit trail (a TicketEdited
// event with each changed field and its previous value); an edit that changes nothing records nothing.
// A result over domain.MaxTicketTags tags is a 422 naming tags.
func (s *Store) EditTicket(ctx context.Context, accountID, ticketID string, e TicketEdit) (domain.Ticket, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error { return editTicket(ctx, tx, accountID, ticketID, e) })
	if err != nil {
		return domain.Ticket{}, fmt.Errorf("edit ticket: %w", err)
	}
	return s.Ticket(ctx, accountID, ticketID)
}

func editTicket(ctx context.Context, tx *sqlx.Tx, accountID, ticketID string, e TicketEdit) error {
	var cur struct {
		Priority   string          `db:"priority"`
		Tags       textArray       `db:"tags"`
		Properties json.RawMessage `db:"properties"`
	}
	if err := tx.GetContext(ctx, &cur, `SELECT priority, tags, properties FROM tickets WHERE id = $1 AND account_id = $2 FOR UPDATE`,
		ticketID, accountID); err != nil {
		return notFound(err, "lock ticket")
	}
	data := map[string]any{}
	priority := cur.Priority
	if e.Priority != nil && *e.Priority != cur.Priority {
		priority = *e.Priority
		data["priority"], data["from_priority"] = priority, cur.Priority
	}
	tags := nonNil([]string(cur.Tags))
	next := slices.Clone(tags)
	if e.Tags != nil {
		next = slices.Clone(*e.Tags)
	}
	for _, t := range e.AddTags {
		if !slices.Contains(next, t) {
			next = append(next, t)
		}
	}
	next = slices.DeleteFunc(next, func(t string) bool { return slices.Contains(e.RemoveTags, t) })
	if len(next) > domain.MaxTicketTags {
		return domain.Invalid("tags", fmt.Sprintf("a ticket has at most %d tags; this change would give it %d", domain.MaxTicketTags, len(next)))
	}
	if !slices.Equal(next, tags) {
		data["tags"], data["from_tags"] = next, tags
	}
	props := cur.Properties
	if e.MergeProperties != nil {
		merged, err := e.MergeProperties(cur.Properties)
		if err != nil {
			return err
		}
		if changed, err := jsonDiffers(cur.Properties, merged); err != nil {
			return err
		} else if changed {
			props = merged
			data["properties"], data["from_properties"] = json.RawMessage(merged), json.RawMessage(cur.Properties)
		}
	}
	if len(data) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET priority = $3, tags = $4, properties = $5, updated_at = now() WHERE id = $1 AND account_id = $2`,
		ticketID, accountID, priority, next, []byte(props)); err != nil {
		return fmt.Errorf("update ticket: %w", err)
	}
	return addEvent(ctx, tx, ticketID, "TicketEdited", data, e.ActorUserID, e.Via)
}

// jsonDiffers reports whether two JSON documents hold different values (key order and spacing aside).
func jsonDiffers(a, b []byte) (bool, error) {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false, fmt.Errorf("decode properties: %w", err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return false, fmt.Errorf("decode merged properties: %w", err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) != string(yb), nil
}
