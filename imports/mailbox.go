package imports

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/domain"
)

// fetchChunk is how many mails of a mailbox one IMAP round trip brings.
const fetchChunk = 50

// mailboxBatch imports up to MaxItems mails of the channel's own IMAP folder:
// the first batch fixes the seam (history is the UIDs at or below it that
// arrived in the last history_days days), each mail is read, threaded and
// stored exactly as an mbox mail is, and the last UID done is the position a
// retried or continued batch resumes from.
func (a *Activities) mailboxBatch(ctx context.Context, j *job, p Progress) (Progress, error) {
	var err error
	if j.mail, err = a.mailReader(j.channel); err != nil {
		return p, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	mb, err := a.mailbox(ctx, j.channel)
	if err != nil {
		return p, err
	}
	defer func() { _ = mb.Close() }()
	if p.Mailbox == nil {
		var seam channels.MailboxSeam
		if err := activities.HeartbeatWhile(ctx, func() (err error) { seam, err = mb.Seam(ctx, j.now); return err }, p); err != nil {
			return p, fmt.Errorf("find the mailbox's history: %w", err)
		}
		p.Mailbox = &seam
		activity.RecordHeartbeat(ctx, p)
	}
	for n := 0; n < j.in.MaxItems; {
		var mails []channels.MailboxMail
		var more bool
		err := activities.HeartbeatWhile(ctx, func() (err error) {
			mails, more, err = mb.Fetch(ctx, *p.Mailbox, uint32(p.Position.Offset), min(fetchChunk, j.in.MaxItems-n))
			return err
		}, p)
		if errors.Is(err, channels.ErrUIDValidityChanged) {
			return p, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
		}
		if err != nil {
			return p, fmt.Errorf("read the mailbox after UID %d: %w", p.Position.Offset, err)
		}
		for _, m := range mails {
			if m.Gone {
				p.Position = Position{Offset: int64(m.UID)}
				continue
			}
			rec := record{Line: int64(m.UID), Data: m.Raw, Received: m.Received, End: Position{Offset: int64(m.UID)}}
			if m.TooLarge {
				rec.Problem = fmt.Sprintf("the mail with UID %d is over the size limit", m.UID)
			}
			if err := a.step(ctx, j, &p, rec); err != nil {
				return p, err
			}
			n++
		}
		if !more {
			p.Done = true
			break
		}
	}
	if err := a.Store.SetImportProgress(ctx, j.in.ImportID, a.progress(j.in, p)); err != nil {
		return p, err
	}
	return p, nil
}

// mailbox is the channel's own mailbox, read with its unsealed configuration.
func (a *Activities) mailbox(ctx context.Context, ch domain.Channel) (channels.Mailbox, error) {
	reg := a.Channels
	if reg == nil {
		reg = registry.New(registry.Deps{Store: a.Store})
	}
	c, _ := reg.Lookup(channels.Type(ch.Type))
	mi, ok := c.(channels.MailboxImporter)
	if !ok {
		err := fmt.Errorf("a %s channel has no mailbox to backfill", ch.Type)
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	raw, err := a.Store.ChannelConfig(ctx, ch.AccountID, ch.ID)
	if err != nil {
		return nil, fmt.Errorf("read the channel's configuration: %w", err)
	}
	mb, has, err := mi.Mailbox(ch, raw)
	if err == nil && !has {
		err = errors.New("the channel has no IMAP mailbox (config.imap) to backfill")
	}
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalid, err)
	}
	return mb, nil
}
