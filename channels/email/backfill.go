package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// History windows of an IMAP backfill (config.imap.history_days).
const (
	DefaultHistoryDays = 30
	MaxHistoryDays     = 3650
)

// backfillAttempts bounds the tries of one backfill step (connect, select, search, fetch); the import's activity retries on top.
const backfillAttempts = 3

// bodyChunk is how many mails one FETCH of bodies asks for.
const bodyChunk = 25

// Mailbox implements channels.MailboxImporter: the channel's config.imap folder.
func (c *Channel) Mailbox(ch domain.Channel, config json.RawMessage) (channels.Mailbox, bool, error) {
	var cfg Config
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil, false, fmt.Errorf("email channel configuration: %w", err)
	}
	if cfg.IMAP == nil {
		return nil, false, nil
	}
	p, err := NewPoller(c.imapSettings(ch.ID, &cfg), ch.ID, imapState{c.store}, nil, c.log.With("channel_id", ch.ID))
	if err != nil {
		return nil, false, err
	}
	days := cfg.IMAP.HistoryDays
	if days <= 0 {
		days = DefaultHistoryDays
	}
	return &mailboxHistory{c: c, p: p, include: cfg.IMAP.IncludeHistory, days: min(days, MaxHistoryDays)}, true, nil
}

// mailboxHistory reads a mailbox's history over one connection, opened when first needed and again after an error.
type mailboxHistory struct {
	c       *Channel
	p       *Poller
	include bool
	days    int
	conn    *imapclient.Client
}

// IncludeHistory implements channels.Mailbox.
func (m *mailboxHistory) IncludeHistory() bool { return m.include }

// Close implements channels.Mailbox.
func (m *mailboxHistory) Close() error {
	if m.conn == nil {
		return nil
	}
	err := m.conn.Close()
	m.conn = nil
	return err
}

// Seam implements channels.Mailbox: the seam the live poller recorded on its
// first look at the folder, else the folder's end now (recorded for the poller).
func (m *mailboxHistory) Seam(ctx context.Context, now time.Time) (channels.MailboxSeam, error) {
	var out channels.MailboxSeam
	err := m.retry(ctx, func(c *imapclient.Client, sel *imap.SelectData) error {
		first := IMAPState{UIDValidity: sel.UIDValidity, LastSeen: now.UTC()}
		if sel.UIDNext > 0 {
			first.LastUID = uint32(sel.UIDNext) - 1
		}
		st, err := m.c.store.InitIMAPState(ctx, m.p.key, toStoreState(first))
		if err != nil {
			return err
		}
		uid := first.LastUID
		switch {
		case st.SeamUIDValidity == sel.UIDValidity:
			uid = st.SeamUID
		case st.UIDValidity == sel.UIDValidity:
			// Polled since before seams were kept: what the poller has taken is live already.
			uid = st.LastUID
			if err := m.c.store.SetIMAPSeam(ctx, m.p.key, sel.UIDValidity, uid); err != nil {
				return err
			}
		}
		day := now.UTC().AddDate(0, 0, -m.days)
		out = channels.MailboxSeam{UIDValidity: sel.UIDValidity, UID: uid, Days: m.days,
			Since: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)}
		return nil
	})
	return out, err
}

// Fetch implements channels.Mailbox.
func (m *mailboxHistory) Fetch(ctx context.Context, seam channels.MailboxSeam, after uint32, max int) ([]channels.MailboxMail, bool, error) {
	if after >= seam.UID || max <= 0 {
		return nil, false, nil
	}
	var out []channels.MailboxMail
	var more bool
	err := m.retry(ctx, func(c *imapclient.Client, sel *imap.SelectData) error {
		if sel.UIDValidity != seam.UIDValidity {
			return fmt.Errorf("%w from %d to %d during the backfill: its UIDs now name other mail; start the backfill again (mail imported already is not imported twice)",
				channels.ErrUIDValidityChanged, seam.UIDValidity, sel.UIDValidity)
		}
		criteria := &imap.SearchCriteria{Since: seam.Since,
			UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(after + 1), Stop: imap.UID(seam.UID)}}}}
		var found *imap.SearchData
		if err := m.p.bounded(ctx, c, func() (err error) { found, err = c.UIDSearch(criteria, nil).Wait(); return err }); err != nil {
			return fmt.Errorf("imap search: %w", err)
		}
		var uids []imap.UID
		for _, u := range found.AllUIDs() {
			if uint32(u) > after && uint32(u) <= seam.UID {
				uids = append(uids, u)
			}
		}
		slices.Sort(uids)
		more = len(uids) > max
		if more {
			uids = uids[:max]
		}
		var err error
		out, err = m.fetch(ctx, c, uids)
		return err
	})
	return out, more, err
}

// fetch reads the mails' sizes and dates, then the bodies of those within the size limit, a chunk at a time.
func (m *mailboxHistory) fetch(ctx context.Context, c *imapclient.Client, uids []imap.UID) ([]channels.MailboxMail, error) {
	out := make([]channels.MailboxMail, 0, len(uids))
	section := &imap.FetchItemBodySection{Peek: true}
	for len(uids) > 0 {
		chunk := uids[:min(bodyChunk, len(uids))]
		uids = uids[len(chunk):]
		var meta, bodies []*imapclient.FetchMessageBuffer
		err := m.p.bounded(ctx, c, func() (err error) {
			meta, err = c.Fetch(imap.UIDSetNum(chunk...), &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true}).Collect()
			if err != nil {
				return err
			}
			var small []imap.UID
			for _, b := range meta {
				if b.RFC822Size <= m.p.s.MaxBytes {
					small = append(small, b.UID)
				}
			}
			if len(small) > 0 {
				bodies, err = c.Fetch(imap.UIDSetNum(small...), &imap.FetchOptions{UID: true,
					BodySection: []*imap.FetchItemBodySection{section}}).Collect()
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("imap fetch: %w", err)
		}
		byUID := map[imap.UID][]byte{}
		for _, b := range bodies {
			byUID[b.UID] = b.FindBodySection(section)
		}
		dates := map[imap.UID]time.Time{}
		for _, b := range meta {
			dates[b.UID] = b.InternalDate
		}
		for _, u := range chunk {
			if _, listed := dates[u]; !listed {
				out = append(out, channels.MailboxMail{UID: uint32(u), Gone: true})
				continue
			}
			raw := byUID[u]
			out = append(out, channels.MailboxMail{UID: uint32(u), Raw: raw, TooLarge: raw == nil, Received: dates[u]})
		}
	}
	return out, nil
}

// retry runs step on a connection with the folder selected read-only (history
// is never marked read), reconnecting after an error, at most backfillAttempts
// times with backoff; a changed UIDVALIDITY is not retried.
func (m *mailboxHistory) retry(ctx context.Context, step func(*imapclient.Client, *imap.SelectData) error) error {
	backoff := 500 * time.Millisecond
	var err error
	for attempt := 1; ; attempt++ {
		if err = m.try(ctx, step); err == nil || errors.Is(err, channels.ErrUIDValidityChanged) || ctx.Err() != nil {
			return err
		}
		_ = m.Close()
		if attempt == backfillAttempts {
			return err
		}
		m.p.log.WarnContext(ctx, "imap backfill step failed; retrying", "error", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff + rand.N(backoff/2)):
		}
		backoff *= 2
	}
}

func (m *mailboxHistory) try(ctx context.Context, step func(*imapclient.Client, *imap.SelectData) error) error {
	if m.conn == nil {
		c, err := m.p.connect(ctx)
		if err != nil {
			return err
		}
		m.conn = c
	}
	c := m.conn
	var sel *imap.SelectData
	if err := m.p.bounded(ctx, c, func() (err error) {
		sel, err = c.Select(m.p.s.Folder, &imap.SelectOptions{ReadOnly: true}).Wait()
		return err
	}); err != nil {
		return fmt.Errorf("imap examine %q: %w", m.p.s.Folder, err)
	}
	return step(c, sel)
}
