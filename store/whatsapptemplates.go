package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CachedTemplates is a WhatsApp channel's template list as last fetched from the Graph API.
type CachedTemplates struct {
	Templates json.RawMessage `db:"templates"`
	FetchedAt time.Time       `db:"fetched_at"`
}

// WhatsAppTemplates returns the channel's cached template list; found is false when none was fetched yet.
func (s *Store) WhatsAppTemplates(ctx context.Context, accountID, channelID string) (c CachedTemplates, found bool, err error) {
	err = s.db.GetContext(ctx, &c, `SELECT templates, fetched_at FROM whatsapp_templates WHERE channel_id = $1 AND account_id = $2`, channelID, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("read cached whatsapp templates: %w", err)
	}
	return c, true, nil
}

// SaveWhatsAppTemplates replaces the channel's cached template list.
func (s *Store) SaveWhatsAppTemplates(ctx context.Context, accountID, channelID string, templates json.RawMessage) (time.Time, error) {
	var at time.Time
	err := s.db.GetContext(ctx, &at, `INSERT INTO whatsapp_templates (channel_id, account_id, templates) VALUES ($1, $2, $3)
		ON CONFLICT (channel_id) DO UPDATE SET templates = EXCLUDED.templates, fetched_at = now()
		WHERE whatsapp_templates.account_id = EXCLUDED.account_id RETURNING fetched_at`, channelID, accountID, templates)
	if err != nil {
		return at, fmt.Errorf("cache whatsapp templates: %w", err)
	}
	return at, nil
}
