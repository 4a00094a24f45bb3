package custom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/routedesk/routedesk/channels"
)

// payload is what a custom channel's outbound_url receives.
type payload struct {
	MessageID      string `json:"message_id"`
	ConversationID string `json:"conversation_id"`
	// ThreadID is the thread_id the app gave the conversation's messages ("" when it gave none).
	ThreadID string `json:"thread_id"`
	// ExternalUserID is the recipient as the app knows them (from.external_user_id of their messages).
	ExternalUserID string `json:"external_user_id"`
	// Email is the recipient's email address, when known.
	Email        string    `json:"email,omitempty"`
	TicketID     string    `json:"ticket_id"`
	AuthorUserID string    `json:"author_user_id,omitempty"`
	Text         string    `json:"text"`
	HTML         string    `json:"html,omitempty"`
	SentAt       time.Time `json:"sent_at"`
}

// Send POSTs the reply to the app's outbound_url, signed with
// X-Routedesk-Signature: sha256=<HMAC-SHA256 of the body with the channel secret>.
// Without an outbound_url the app polls the API, so the reply counts as sent.
// 429 and 5xx are transient; any other refusal is permanent (see appError for what each means for the channel's health).
func (c *Channel) Send(ctx context.Context, r channels.Reply) (channels.Sent, error) {
	cfg, ok := r.Config.(*Config)
	if !ok {
		return channels.Sent{}, channels.Reject(fmt.Sprintf("custom channel given a %T configuration", r.Config), nil)
	}
	if cfg.OutboundURL == "" {
		return channels.Sent{}, nil // the app polls the API for replies
	}
	thread, err := c.threadID(ctx, r)
	if err != nil {
		return channels.Sent{}, err // retried: the store is the system of record
	}
	body, err := json.Marshal(payload{MessageID: r.MessageID, ConversationID: r.ConversationID, ThreadID: thread,
		ExternalUserID: r.Customer.ExternalUserID, Email: r.Customer.Email, TicketID: r.TicketID,
		AuthorUserID: r.AuthorUserID, Text: r.Text, HTML: r.HTML, SentAt: r.SentAt})
	if err != nil {
		return channels.Sent{}, channels.Reject("encode the reply: "+err.Error(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.OutboundURL, bytes.NewReader(body))
	if err != nil {
		return channels.Sent{}, channels.Reject("bad outbound_url: "+err.Error(), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", r.MessageID)
	if cfg.Secret != "" {
		mac := hmac.New(sha256.New, []byte(cfg.Secret))
		mac.Write(body)
		req.Header.Set("X-Routedesk-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return channels.Sent{}, fmt.Errorf("post reply to %s: %w", cfg.AppName, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 300 {
		return channels.Sent{}, nil
	}
	return channels.Sent{}, answerError(cfg.AppName, resp.StatusCode, strings.TrimSpace(strings.ToValidUTF8(string(answer), "")))
}

// threadID is the thread_id the app gave the reply's conversation, "" when it gave none.
func (c *Channel) threadID(ctx context.Context, r channels.Reply) (string, error) {
	if c.store == nil {
		return "", nil
	}
	key, err := c.store.ConversationThread(ctx, r.AccountID, r.ConversationID)
	if err != nil {
		return "", fmt.Errorf("thread of the reply: %w", err)
	}
	if id, ok := strings.CutPrefix(key, "t:"); ok {
		return id, nil
	}
	return "", nil
}
