package imports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Formats of an import file.
const (
	FormatNDJSON = "ndjson"
	FormatMbox   = "mbox"
	// FormatIMAP is a backfill of an email channel's own IMAP folder (no file).
	FormatIMAP = "imap"
)

// Activities are the import's activities; the worker registers them.
type Activities struct {
	Store *store.Store
	// Now is the clock recent conversations are measured against; nil: time.Now.
	Now func() time.Time
	// Pause is waited after each item, so an import leaves PostgreSQL to live traffic; 0: none.
	Pause time.Duration
	// Channels read what a channel type exports (mbox for email); nil: the built-in channels.
	Channels *registry.Registry
	// WorkflowID names a new imported conversation's workflow (workflows.ConversationIDs.ID); required.
	WorkflowID store.WorkflowIDFor
}

// Progress is how far an import has come: where its file resumes and what it counted.
type Progress struct {
	Position Position          `json:"position"`
	Total    int               `json:"total"`
	Imported int               `json:"imported"`
	Skipped  int               `json:"skipped"`
	Would    store.WouldCreate `json:"would_create"`
	Done     bool              `json:"done"`
	// Mailbox is an IMAP backfill's seam, fixed by its first batch; Position.Offset is then the last UID done.
	Mailbox *channels.MailboxSeam `json:"mailbox,omitempty"`
}

// BatchInput is one batch of an import.
type BatchInput struct {
	ImportID       string   `json:"import_id"`
	AccountID      string   `json:"account_id"`
	ChannelID      string   `json:"channel_id"`
	Format         string   `json:"format"`
	DryRun         bool     `json:"dry_run"`
	IncludeHistory bool     `json:"include_history"`
	RecentHours    int      `json:"recent_hours"`
	MaxItems       int      `json:"max_items"`
	Start          Progress `json:"start"`
}

// ErrTypeInvalid is the non-retryable error type of an import that can never run (its channel is gone).
const ErrTypeInvalid = "InvalidImport"

// ImportBatch imports up to MaxItems items of the file from Start on. It
// heartbeats its progress after every item: a retried attempt resumes from
// the last heartbeat, and items are idempotent, so a crash imports nothing
// twice and the counts come out as without it.
func (a *Activities) ImportBatch(ctx context.Context, in BatchInput) (Progress, error) {
	p := in.Start
	if activity.HasHeartbeatDetails(ctx) {
		var hb Progress
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil && hb.Position.Offset >= p.Position.Offset {
			p = hb
		}
	}
	ch, err := a.Store.Channel(ctx, in.AccountID, in.ChannelID)
	if errors.Is(err, domain.ErrNotFound) {
		return p, temporal.NewNonRetryableApplicationError("the import's channel is gone", ErrTypeInvalid, err)
	}
	if err != nil {
		return p, err
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if a.WorkflowID == nil {
		return p, errors.New("import batch: the worker has no conversation workflow ids (Activities.WorkflowID)")
	}
	j := &job{in: in, channel: ch, now: now(), workflowID: a.WorkflowID}
	if in.Format == FormatIMAP {
		return a.mailboxBatch(ctx, j, p)
	}
	r := a.Store.ImportFile(ctx, in.ImportID, p.Position.Offset)
	var sp splitter
	if in.Format == FormatMbox {
		if j.mail, err = a.mailReader(ch); err != nil {
			return p, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
		}
		sp = newMboxSplitter(r, p.Position, j.mail.MaxMailBytes())
	} else {
		sp = newNDJSONSplitter(r, p.Position)
	}
	for n := 0; n < in.MaxItems; n++ {
		rec, err := sp.Next()
		if errors.Is(err, io.EOF) {
			p.Done = true
			break
		}
		if err != nil {
			return p, err
		}
		if err := a.step(ctx, j, &p, rec); err != nil {
			return p, err
		}
	}
	if err := a.Store.SetImportProgress(ctx, in.ImportID, a.progress(in, p)); err != nil {
		return p, err
	}
	return p, nil
}

// step imports one record, counts it, moves p past it, heartbeats p and pauses.
func (a *Activities) step(ctx context.Context, j *job, p *Progress, rec record) error {
	o, err := a.item(ctx, j, rec)
	if err != nil {
		return err
	}
	p.Total++
	if o.imported {
		p.Imported++
	} else {
		p.Skipped++
	}
	p.Would = p.Would.Add(o.would)
	p.Position = rec.End
	activity.RecordHeartbeat(ctx, *p)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if a.Pause > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(a.Pause):
		}
	}
	return nil
}

// mailReader is the channel type of ch that reads its mbox exports (the email channel).
func (a *Activities) mailReader(ch domain.Channel) (channels.MailReader, error) {
	reg := a.Channels
	if reg == nil {
		reg = registry.New(registry.Deps{Store: a.Store})
	}
	c, ok := reg.Lookup(channels.Type(ch.Type))
	if mr, is := c.(channels.MailReader); ok && is {
		return mr, nil
	}
	return nil, fmt.Errorf("a %s channel cannot import mbox files", ch.Type)
}

// item imports one record; a bad one is recorded as an error and skipped.
func (a *Activities) item(ctx context.Context, j *job, rec record) (outcome, error) {
	var conv store.ImportedConversation
	var author domain.Author
	var phone string
	err := errors.New(rec.Problem)
	if rec.Problem == "" {
		if j.mail != nil {
			conv, author, err = j.mailItem(ctx, a.Store, rec)
		} else {
			var c Conversation
			if c, err = ParseLine(rec.Data); err == nil {
				phone = c.Contact.Phone
				conv, author, err = j.conversationItem(c)
			}
		}
	}
	if err == nil {
		var o outcome
		o, err = j.apply(ctx, a.Store, rec.Line, conv, author, phone)
		if err == nil {
			return o, nil
		}
		if !refused(err) {
			return outcome{}, fmt.Errorf("line %d: %w", rec.Line, err) // PostgreSQL trouble: retried
		}
	}
	if err := a.Store.AddImportError(ctx, j.in.ImportID, rec.Line, err.Error()); err != nil {
		return outcome{}, err
	}
	return outcome{}, nil
}

// refused reports an error that retrying cannot cure: invalid input, or data
// PostgreSQL will not store (class 22, data exception: NUL, bad encoding, out of range).
func refused(err error) bool {
	var invalid *domain.ValidationError
	var pg *pgconn.PgError
	return errors.As(err, &invalid) || errors.As(err, &pg) && strings.HasPrefix(pg.Code, "22")
}

func (a *Activities) progress(in BatchInput, p Progress) store.ImportProgress {
	out := store.ImportProgress{BytesDone: p.Position.Offset, Total: p.Total, Imported: p.Imported, Skipped: p.Skipped}
	if in.DryRun {
		w := p.Would
		out.WouldCreate = &w
	}
	return out
}

// FinishInput ends an import.
type FinishInput struct {
	ImportID string   `json:"import_id"`
	DryRun   bool     `json:"dry_run"`
	State    string   `json:"state"`
	Failure  string   `json:"failure,omitempty"`
	Progress Progress `json:"progress"`
}

// FinishImport records an import's final counts and state, and drops its file.
func (a *Activities) FinishImport(ctx context.Context, in FinishInput) error {
	if err := a.Store.SetImportProgress(ctx, in.ImportID, a.progress(BatchInput{DryRun: in.DryRun}, in.Progress)); err != nil {
		return err
	}
	return a.Store.FinishImport(ctx, in.ImportID, in.State, in.Failure)
}
