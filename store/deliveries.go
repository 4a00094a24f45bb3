package store

import (
	"context"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// Delivery states of an inbound message on its way to its conversation workflow.
const (
	DeliveryPending   = "pending"
	DeliveryFailed    = "failed"
	DeliveryDelivered = "delivered"
)

// ClaimUndelivered claims up to limit inbound messages received more than
// olderThan ago (or handed over at once: deferred, released or tried
// before) that no workflow has accepted, are not failed and are due
// (their backoff or an earlier claim's lease has passed), oldest first. Each
// claimed message's attempts grow by one and it is leased for lease: other
// processes skip it (FOR UPDATE SKIP LOCKED while claiming, the lease after),
// so several servers split a backlog and each message is sent once normally.
func (s *Store) ClaimUndelivered(ctx context.Context, olderThan, lease time.Duration, limit int) ([]Undelivered, error) {
	var out []Undelivered
	err := s.db.SelectContext(ctx, &out,
		`WITH due AS (
		   SELECT id FROM messages
		    WHERE delivered_at IS NULL AND direction = 'inbound' AND delivery_failed_at IS NULL
		      AND (received_at < now() - $1::interval OR delivery_next_at IS NOT NULL)
		      AND (delivery_next_at IS NULL OR delivery_next_at <= now())
		    ORDER BY received_at, id LIMIT $3
		    FOR UPDATE SKIP LOCKED)
		 UPDATE messages m SET delivery_attempts = m.delivery_attempts + 1, delivery_next_at = now() + $2::interval
		   FROM due, conversations c, channels ch
		  WHERE m.id = due.id AND c.id = m.conversation_id AND ch.id = c.channel_id
		 RETURNING m.id AS message_id, m.account_id, c.channel_id, ch.type AS channel_type, ch.name AS channel_name,
		           m.conversation_id, c.workflow_id, c.thread_key, m.delivery_attempts AS attempts,
		           m.delivery_busy_retries AS busy_retries, `+undeliveredSummary,
		interval(olderThan), interval(lease), limit)
	if err != nil {
		return nil, fmt.Errorf("claim undelivered messages: %w", err)
	}
	return out, nil
}

// DeferDelivery hands a stored message to the redrive loop at once: the
// request that stored it leaves its delivery to the loop (delivery pacing),
// so the loop need not wait out its grace period.
func (s *Store) DeferDelivery(ctx context.Context, messageID string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE messages SET delivery_next_at = now() WHERE id = $1 AND delivered_at IS NULL AND delivery_next_at IS NULL`, messageID)
	if err != nil {
		return fmt.Errorf("defer delivery: %w", err)
	}
	return nil
}

// OpenedConversations returns those of the conversations that have their ticket.
func (s *Store) OpenedConversations(ctx context.Context, conversationIDs []string) ([]string, error) {
	var out []string
	if err := s.db.SelectContext(ctx, &out,
		`SELECT conversation_id FROM tickets WHERE conversation_id = ANY($1)`, conversationIDs); err != nil {
		return nil, fmt.Errorf("conversations with a ticket: %w", err)
	}
	return out, nil
}

func interval(d time.Duration) string { return fmt.Sprintf("%d milliseconds", d.Milliseconds()) }

// RetryDeliveryAt records a failed delivery attempt (reason; "" keeps the
// last one) and when to try again; refund gives the attempt back (the
// dependency was down or the attempt never started, not the message at fault).
func (s *Store) RetryDeliveryAt(ctx context.Context, messageID, reason string, at time.Time, refund bool) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE messages SET delivery_next_at = $2, delivery_error = COALESCE(NULLIF($3, ''), delivery_error),
		        delivery_attempts = CASE WHEN $4 THEN greatest(delivery_attempts - 1, 0) ELSE delivery_attempts END
		  WHERE id = $1 AND delivered_at IS NULL`, messageID, at, reason, refund)
	if err != nil {
		return fmt.Errorf("schedule delivery retry: %w", err)
	}
	return nil
}

// RetryDeliveryBusy schedules the next attempt of a message whose attempt
// found Temporal busy (timed out or rate limited): the attempt is given back
// and counted among the busy retries instead (reason "" keeps the last one).
func (s *Store) RetryDeliveryBusy(ctx context.Context, messageID, reason string, at time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE messages SET delivery_next_at = $2, delivery_error = COALESCE(NULLIF($3, ''), delivery_error),
		        delivery_attempts = greatest(delivery_attempts - 1, 0), delivery_busy_retries = delivery_busy_retries + 1
		  WHERE id = $1 AND delivered_at IS NULL`, messageID, at, reason)
	if err != nil {
		return fmt.Errorf("schedule delivery retry (Temporal busy): %w", err)
	}
	return nil
}

// FailDelivery gives up on delivering a message, recording why.
func (s *Store) FailDelivery(ctx context.Context, messageID, reason string) error {
	_, err := s.db.ExecContext(ctx,
		`UPDATE messages SET delivery_failed_at = now(), delivery_error = $2, delivery_next_at = NULL
		  WHERE id = $1 AND delivered_at IS NULL`, messageID, reason)
	if err != nil {
		return fmt.Errorf("mark delivery failed: %w", err)
	}
	return nil
}

// RequeueDelivery puts one of the account's undelivered inbound messages back
// in the redelivery queue with its attempts reset; a delivered message is a conflict.
func (s *Store) RequeueDelivery(ctx context.Context, accountID, messageID string) (Delivery, error) {
	res, err := s.db.ExecContext(ctx,
		`UPDATE messages SET delivery_failed_at = NULL, delivery_next_at = NULL, delivery_attempts = 0, delivery_busy_retries = 0
		  WHERE id = $1 AND account_id = $2 AND direction = 'inbound' AND delivered_at IS NULL`, messageID, accountID)
	if err != nil {
		return Delivery{}, fmt.Errorf("requeue delivery: %w", err)
	}
	d, err := s.Delivery(ctx, accountID, messageID)
	if err != nil {
		return d, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return d, fmt.Errorf("message %s was delivered already: %w", messageID, domain.ErrConflict)
	}
	return d, nil
}

// RepairWorkflowID replaces a conversation's workflow id that Temporal can
// never accept (stored before ids were encoded) and returns the id in use.
func (s *Store) RepairWorkflowID(ctx context.Context, conversationID, oldID, newID string) (string, error) {
	var id string
	err := s.db.GetContext(ctx, &id,
		`UPDATE conversations SET workflow_id = CASE WHEN workflow_id = $2 THEN $3 ELSE workflow_id END
		  WHERE id = $1 RETURNING workflow_id`, conversationID, oldID, newID)
	if err != nil {
		return "", fmt.Errorf("repair workflow id of %s: %w", conversationID, err)
	}
	return id, nil
}

// Delivery is where an inbound message stands on its way to its conversation workflow.
type Delivery struct {
	MessageID      string     `db:"message_id" json:"message_id"`
	ChannelID      string     `db:"channel_id" json:"channel_id"`
	ChannelType    string     `db:"channel_type" json:"channel_type"`
	ConversationID string     `db:"conversation_id" json:"conversation_id"`
	ExternalID     string     `db:"external_id" json:"external_id"`
	State          string     `db:"state" json:"state"`
	Attempts       int        `db:"attempts" json:"attempts"`
	Reason         string     `db:"reason" json:"reason"`
	ReceivedAt     time.Time  `db:"received_at" json:"received_at"`
	NextAttemptAt  *time.Time `db:"next_attempt_at" json:"next_attempt_at"`
	FailedAt       *time.Time `db:"failed_at" json:"failed_at"`
}

const deliveryColumns = `m.id AS message_id, m.channel_id, ch.type AS channel_type, m.conversation_id, m.external_id,
	CASE WHEN m.delivered_at IS NOT NULL THEN 'delivered' WHEN m.delivery_failed_at IS NOT NULL THEN 'failed' ELSE 'pending' END AS state,
	m.delivery_attempts AS attempts, m.delivery_error AS reason, m.received_at,
	CASE WHEN m.delivered_at IS NULL AND m.delivery_failed_at IS NULL THEN m.delivery_next_at END AS next_attempt_at,
	m.delivery_failed_at AS failed_at
	FROM messages m JOIN channels ch ON ch.id = m.channel_id`

// Delivery returns the delivery of one of the account's inbound messages.
func (s *Store) Delivery(ctx context.Context, accountID, messageID string) (Delivery, error) {
	var d Delivery
	err := s.db.GetContext(ctx, &d,
		`SELECT `+deliveryColumns+` WHERE m.id = $1 AND m.account_id = $2 AND m.direction = 'inbound'`, messageID, accountID)
	if err != nil {
		return d, notFound(err, "get delivery")
	}
	return d, nil
}

// Deliveries lists a page of the account's undelivered inbound messages in
// state (pending or failed), oldest message first.
func (s *Store) Deliveries(ctx context.Context, accountID, state string, page Page) ([]Delivery, error) {
	cond := `m.delivery_failed_at IS NULL`
	if state == DeliveryFailed {
		cond = `m.delivery_failed_at IS NOT NULL`
	}
	var out []Delivery
	err := s.db.SelectContext(ctx, &out,
		`SELECT `+deliveryColumns+`
		  WHERE m.account_id = $1 AND m.direction = 'inbound' AND m.delivered_at IS NULL AND `+cond+` AND m.id > $2
		  ORDER BY m.id LIMIT $3`, accountID, page.After, page.Limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// PendingDeliveries counts inbound messages, across accounts, not yet accepted by a workflow and not failed.
func (s *Store) PendingDeliveries(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n,
		`SELECT count(*) FROM messages WHERE delivered_at IS NULL AND direction = 'inbound' AND delivery_failed_at IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("count pending deliveries: %w", err)
	}
	return n, nil
}
