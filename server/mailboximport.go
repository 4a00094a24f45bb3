package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/store"
)

// Import sources: an uploaded file, or the channel's own IMAP mailbox.
const (
	importSourceFile = "file"
	importSourceIMAP = "imap"
)

// importSource says what an import reads: source=imap or source=file, else a
// request without a body (no Content-Type, no bytes) backfills the mailbox.
func importSource(c *gin.Context) (string, error) {
	switch v, ok := c.GetQuery("source"); {
	case !ok:
	case v == importSourceFile || v == importSourceIMAP:
		return v, nil
	default:
		return "", domain.Invalid("source", "must be file (the body is the file) or imap (the channel's own mailbox, no body)")
	}
	if c.Request.ContentLength == 0 && c.GetHeader("Content-Type") == "" {
		return importSourceIMAP, nil
	}
	return importSourceFile, nil
}

// postMailboxImport starts a backfill of ch's own IMAP mailbox: 202 with the import, 409 while one runs.
func (s *Server) postMailboxImport(c *gin.Context, ch domain.Channel) {
	ctx := c.Request.Context()
	field := "source"
	if _, explicit := c.GetQuery("source"); !explicit {
		field = "body"
	}
	if c.Request.ContentLength > 0 {
		s.fail(c, domain.Invalid("body", "an imap import reads the channel's own mailbox and takes no body"))
		return
	}
	mb, err := s.mailboxOf(ctx, ch)
	if err != nil {
		s.fail(c, err)
		return
	}
	if mb == nil {
		s.fail(c, domain.Invalid(field, "this "+ch.Type+" channel has no IMAP mailbox (config.imap) to backfill; "+
			"send a file as the body (application/x-ndjson, or application/mbox for email channels)"))
		return
	}
	opts, err := importOptions(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	im, err := s.startMailboxImport(ctx, ch, opts)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, importAccepted{ImportID: im.ID, WorkflowID: im.WorkflowID})
}

// mailboxOf returns ch's own mailbox; nil when its channel type or configuration has none.
func (s *Server) mailboxOf(ctx context.Context, ch domain.Channel) (channels.Mailbox, error) {
	impl, _ := s.channels.Lookup(channels.Type(ch.Type))
	mi, ok := impl.(channels.MailboxImporter)
	if !ok {
		return nil, nil
	}
	raw, err := s.store.ChannelConfig(ctx, ch.AccountID, ch.ID)
	if err != nil {
		return nil, err
	}
	mb, has, err := mi.Mailbox(ch, raw)
	if err != nil || !has {
		return nil, err
	}
	return mb, nil
}

// startMailboxImport records a mailbox backfill and starts its workflow; the
// database lets one run per channel at a time (domain.ErrConflict).
func (s *Server) startMailboxImport(ctx context.Context, ch domain.Channel, opts store.NewImport) (store.Import, error) {
	opts.AccountID, opts.ChannelID, opts.Format = ch.AccountID, ch.ID, imports.FormatIMAP
	im, err := s.store.CreateImport(ctx, opts, imports.WorkflowID)
	if err != nil {
		return im, err
	}
	if err := s.store.StartImport(ctx, im.ID); err != nil {
		return im, err
	}
	if err := s.startImport(ctx, im, ch); err != nil {
		if ferr := s.store.FinishImport(context.WithoutCancel(ctx), im.ID, store.ImportFailed, "could not start its workflow: "+err.Error()); ferr != nil {
			s.log.WarnContext(ctx, "could not mark an import failed", "import_id", im.ID, "error", ferr)
		}
		return im, err
	}
	return im, nil
}

// backfillOnConnect starts the history backfill of a connected channel whose
// mailbox has include_history, once: not while one runs or after one completed.
// The channel is saved whatever happens here; a backfill that could not start
// is logged and can be started with POST /v1/channels/{id}/imports?source=imap.
func (s *Server) backfillOnConnect(ctx context.Context, ch domain.Channel) {
	if ch.Status != domain.ChannelConnected {
		return
	}
	mb, err := s.mailboxOf(ctx, ch)
	if err != nil {
		s.log.WarnContext(ctx, "mailbox backfill: unreadable config", "channel_id", ch.ID, "error", err)
		return
	}
	if mb == nil || !mb.IncludeHistory() {
		return
	}
	if active, err := s.store.ActiveMailboxImport(ctx, ch.ID); err != nil || active {
		if err != nil {
			s.log.WarnContext(ctx, "mailbox backfill: look for an earlier one", "channel_id", ch.ID, "error", err)
		}
		return
	}
	_, err = s.startMailboxImport(ctx, ch, store.NewImport{IncludeHistory: true, RecentHours: 24})
	if err != nil && !errors.Is(err, domain.ErrConflict) {
		s.log.WarnContext(ctx, "mailbox backfill did not start", "channel_id", ch.ID, "error", fmt.Errorf("start backfill: %w", err))
	}
}
