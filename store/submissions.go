package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// submissionJSON selects a submissions row (alias sub) as the JSON of a domain.Submission, NULL without one.
const submissionJSON = `CASE WHEN sub.message_id IS NULL THEN NULL ELSE json_build_object('fields', sub.fields, 'hidden', sub.hidden,
	'description', sub.description, 'page_url', sub.page_url, 'submitted_at', sub.submitted_at) END`

// insertSubmission stores the form fields of the inbound message messageID in the message's transaction.
func insertSubmission(ctx context.Context, tx *sqlx.Tx, in Inbound, messageID string) error {
	sub := in.Submission
	fields, err := json.Marshal(nonNilMap(sub.Fields))
	if err != nil {
		return fmt.Errorf("encode submission fields: %w", err)
	}
	hidden, err := json.Marshal(nonNilMap(sub.Hidden))
	if err != nil {
		return fmt.Errorf("encode hidden fields: %w", err)
	}
	submittedAt := sub.SubmittedAt
	if submittedAt.IsZero() {
		submittedAt = in.SentAt
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO submissions (message_id, account_id, channel_id, fields, hidden, description, page_url, submitted_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		messageID, in.AccountID, in.ChannelID, fields, hidden, sub.Description, sub.PageURL, submittedAt)
	if err != nil {
		return fmt.Errorf("insert submission: %w", err)
	}
	return nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
