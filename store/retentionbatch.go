package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
)

// RetentionCandidates is the next batch of an account's retention run: its expired conversations,
// its expired tickets without one (channel-less: the account default's policy applies), and every
// Temporal workflow holding their data (conversation, deliveries of their messages, a channel-less
// ticket's routing) that has a live key, to be stopped before ApplyRetention deletes or anonymises them.
type RetentionCandidates struct {
	ConversationIDs []string
	TicketIDs       []string
	WorkflowIDs     []string
}

// Len is how many conversations and channel-less tickets the batch holds.
func (c RetentionCandidates) Len() int { return len(c.ConversationIDs) + len(c.TicketIDs) }

// RetentionApplied is what ApplyRetention did: conversations and channel-less tickets deleted and
// anonymised, and the ids of every erased key of their workflows (for the keyrings to forget).
type RetentionApplied struct {
	Deleted           int
	Anonymised        int
	TicketsDeleted    int
	TicketsAnonymised int
	KeyIDs            []string
}

// expiredConversations selects the conversations of account $1 whose ticket was closed longer ago
// than its channel's policy (or the account's) allows, with the policy's action; a conversation
// anonymised already is taken again only by a delete policy. Callers add a LIMIT or a list of ids.
const expiredConversations = `SELECT t.conversation_id, p.action FROM tickets t
	JOIN conversations c ON c.id = t.conversation_id
	JOIN retention_policies p ON p.account_id = t.account_id AND p.channel_id = COALESCE((SELECT q.channel_id FROM retention_policies q
		WHERE q.account_id = t.account_id AND q.channel_id = t.channel_id), '')
	WHERE t.account_id = $1 AND t.status = 'closed' AND t.conversation_id IS NOT NULL
	  AND t.updated_at < now() - make_interval(days => p.days)
	  AND (p.action = 'delete' OR c.anonymised_at IS NULL)`

// expiredTickets selects the tickets of account $1 without a conversation that were closed longer
// ago than the account's default policy allows, with its action; one anonymised already is taken
// again only by a delete policy. Callers add a LIMIT or a list of ids.
const expiredTickets = `SELECT t.id, p.action FROM tickets t
	JOIN retention_policies p ON p.account_id = t.account_id AND p.channel_id = ''
	WHERE t.account_id = $1 AND t.status = 'closed' AND t.conversation_id IS NULL
	  AND t.updated_at < now() - make_interval(days => p.days)
	  AND (p.action = 'delete' OR t.anonymised_at IS NULL)`

// retentionWorkflows selects the workflows of conversations $1: theirs and their messages' deliveries.
// and, for channel-less tickets $2, their routing workflows.
const retentionWorkflows = `SELECT workflow_id FROM conversations WHERE id = ANY($1)
	UNION SELECT 'delivery:' || m.id FROM messages m WHERE m.conversation_id = ANY($1) AND m.direction = 'outbound'
	UNION SELECT workflow_id FROM tickets WHERE id = ANY($2) AND workflow_id IS NOT NULL`

type expired struct {
	ConversationID string `db:"conversation_id"`
	Action         string `db:"action"`
}

type expiredTicket struct {
	ID     string `db:"id"`
	Action string `db:"action"`
}

// NextRetention returns the next batch (up to limit in all) of an account's expired conversations
// and channel-less tickets.
func (s *Store) NextRetention(ctx context.Context, accountID string, limit int) (RetentionCandidates, error) {
	var c RetentionCandidates
	var rows []expired
	if err := s.db.SelectContext(ctx, &rows, expiredConversations+` LIMIT $2`, accountID, limit); err != nil {
		return c, fmt.Errorf("retention candidates of %s: %w", accountID, err)
	}
	c.ConversationIDs = make([]string, 0, len(rows))
	for _, r := range rows {
		c.ConversationIDs = append(c.ConversationIDs, r.ConversationID)
	}
	var tickets []expiredTicket
	if room := limit - len(rows); room > 0 {
		if err := s.db.SelectContext(ctx, &tickets, expiredTickets+` LIMIT $2`, accountID, room); err != nil {
			return c, fmt.Errorf("retention candidates of %s: %w", accountID, err)
		}
	}
	c.TicketIDs = make([]string, 0, len(tickets))
	for _, t := range tickets {
		c.TicketIDs = append(c.TicketIDs, t.ID)
	}
	// A workflow that ever ran has a live key (its payloads are encoded from its start): the others
	// (imported or seeded conversations, deliveries never made) need no call to Temporal.
	if err := s.db.SelectContext(ctx, &c.WorkflowIDs, `SELECT w.workflow_id FROM (`+retentionWorkflows+`) w
		WHERE EXISTS (SELECT 1 FROM privacy_keys k WHERE k.workflow_id = w.workflow_id AND k.erased_at IS NULL)
		ORDER BY 1`, c.ConversationIDs, c.TicketIDs); err != nil {
		return c, fmt.Errorf("retention candidates of %s: %w", accountID, err)
	}
	return c, nil
}

// ApplyRetention deletes or anonymises, in one transaction, those of the conversations and
// channel-less tickets of batch c that are still expired (each as its policy says), erases their
// workflows' keys, and adds the counts to the account's run runID. Deleting takes the messages with
// their attachments and calls, timeline entries, tickets and conversations; anonymising is
// anonymiseConversations and anonymiseTickets.
func (s *Store) ApplyRetention(ctx context.Context, accountID, runID string, c RetentionCandidates) (RetentionApplied, error) {
	var out RetentionApplied
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []expired
		if err := tx.SelectContext(ctx, &rows, expiredConversations+` AND t.conversation_id = ANY($2) FOR UPDATE OF c`, accountID, c.ConversationIDs); err != nil {
			return err
		}
		var tickets []expiredTicket
		if err := tx.SelectContext(ctx, &tickets, expiredTickets+` AND t.id = ANY($2) FOR UPDATE OF t`, accountID, c.TicketIDs); err != nil {
			return err
		}
		var del, anon, delTickets, anonTickets []string
		for _, r := range rows {
			if r.Action == RetentionAnonymise {
				anon = append(anon, r.ConversationID)
			} else {
				del = append(del, r.ConversationID)
			}
		}
		for _, t := range tickets {
			if t.Action == RetentionAnonymise {
				anonTickets = append(anonTickets, t.ID)
			} else {
				delTickets = append(delTickets, t.ID)
			}
		}
		var wfs []string
		if err := tx.SelectContext(ctx, &wfs, retentionWorkflows, append(append([]string{}, del...), anon...),
			append(append([]string{}, delTickets...), anonTickets...)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE privacy_keys SET wrapped = NULL, erased_at = now()
			WHERE erased_at IS NULL AND workflow_id = ANY($1) AND (account_id = $2 OR account_id IS NULL)`, wfs, accountID); err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &out.KeyIDs, `SELECT id FROM privacy_keys WHERE workflow_id = ANY($1) AND erased_at IS NOT NULL
			AND (account_id = $2 OR account_id IS NULL) ORDER BY id`, wfs, accountID); err != nil {
			return err
		}
		if err := deleteConversations(ctx, tx, accountID, del); err != nil {
			return err
		}
		if err := anonymiseConversations(ctx, tx, accountID, anon); err != nil {
			return err
		}
		if err := deleteTickets(ctx, tx, ErasurePlan{AccountID: accountID, TicketIDs: delTickets}); err != nil {
			return err
		}
		if err := anonymiseTickets(ctx, tx, accountID, anonTickets); err != nil {
			return err
		}
		out.Deleted, out.Anonymised, out.TicketsDeleted, out.TicketsAnonymised = len(del), len(anon), len(delTickets), len(anonTickets)
		return countRetention(ctx, tx, accountID, runID, out)
	})
	if err != nil {
		return RetentionApplied{}, fmt.Errorf("retention of %s: %w", accountID, err)
	}
	return out, nil
}

// countRetention adds a batch's counts to the account's run runID (a new run starts from them).
func countRetention(ctx context.Context, tx *sqlx.Tx, accountID, runID string, out RetentionApplied) error {
	counts := map[string]int{"conversations": out.Deleted, "anonymised": out.Anonymised,
		"tickets": out.TicketsDeleted, "tickets_anonymised": out.TicketsAnonymised}
	b, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("retention counts: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO retention_runs (account_id, run_id, state, counts) VALUES ($1, $2, 'running', $3::jsonb)
		ON CONFLICT (account_id) DO UPDATE SET counts = CASE WHEN retention_runs.run_id = $2
			THEN (SELECT jsonb_object_agg(k, COALESCE((retention_runs.counts ->> k)::int, 0) + v::int) FROM jsonb_each_text($3::jsonb) AS x(k, v))
			ELSE EXCLUDED.counts END,
			started_at = CASE WHEN retention_runs.run_id = $2 THEN retention_runs.started_at ELSE now() END,
			finished_at = CASE WHEN retention_runs.run_id = $2 THEN retention_runs.finished_at END,
			run_id = $2, state = 'running'`, accountID, runID, string(b))
	if err != nil {
		return fmt.Errorf("count retention: %w", err)
	}
	return nil
}

// deleteTickets deletes channel-less tickets with their timeline entries (notes, measures, surveys
// and report facts by cascade).
func deleteTickets(ctx context.Context, tx *sqlx.Tx, p ErasurePlan) error {
	if len(p.TicketIDs) == 0 {
		return nil
	}
	return runErasureDeletes(ctx, tx, p, "timeline_entries", "tickets")
}

// runErasureDeletes runs, in erasureDeletes' order (children first), the statements of the tables named.
func runErasureDeletes(ctx context.Context, tx *sqlx.Tx, p ErasurePlan, tables ...string) error {
	for _, d := range erasureDeletes {
		if !slices.Contains(tables, d.table) {
			continue
		}
		if _, err := tx.ExecContext(ctx, d.sql, d.args(p)...); err != nil {
			return fmt.Errorf("%s: %w", d.table, err)
		}
	}
	return nil
}

// deleteConversations deletes conversations with their messages (attachments, email headers,
// submissions and parts by cascade, calls explicitly), timeline entries and tickets.
func deleteConversations(ctx context.Context, tx *sqlx.Tx, accountID string, convs []string) error {
	if len(convs) == 0 {
		return nil
	}
	p := ErasurePlan{AccountID: accountID, ConversationIDs: convs}
	if err := tx.SelectContext(ctx, &p.TicketIDs, `SELECT id FROM tickets WHERE account_id = $1 AND conversation_id = ANY($2)`, accountID, convs); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM calls WHERE message_id IN (SELECT id FROM messages WHERE account_id = $1 AND conversation_id = ANY($2))`,
		accountID, convs); err != nil {
		return err
	}
	return runErasureDeletes(ctx, tx, p, "messages", "ignored_inbound", "timeline_entries", "tickets", "conversations")
}
