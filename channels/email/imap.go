package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/internal/egress"
)

// Poller imports new mail from one IMAP mailbox.
type Poller struct {
	s      IMAPSettings
	key    string
	state  IMAPStateStore
	handle IMAPHandler
	log    *slog.Logger
	wake   chan struct{}
	// report, when set, is told each session's failure and each successful sync (nil).
	report func(error)
	// tokenExpiry is when the current session logs in again with a renewed token (OAuth mailboxes; zero otherwise).
	tokenExpiry time.Time
}

// ReportHealth makes the poller tell fn each failure to reach or read the
// mailbox and each successful sync (nil); fn must not block.
func (p *Poller) ReportHealth(fn func(error)) { p.report = fn }

func (p *Poller) tell(err error) {
	if p.report != nil {
		p.report(err)
	}
}

// NewPoller returns a poller for the mailbox; key names its state in the store.
func NewPoller(s IMAPSettings, key string, state IMAPStateStore, handle IMAPHandler, log *slog.Logger) (*Poller, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Poller{s: s.withDefaults(), key: key, state: state, handle: handle, log: log,
		wake: make(chan struct{}, 1)}, nil
}

// Run imports mail until ctx is done: connect, import what is new, then wait
// with IDLE (or sleep PollInterval without it) and import again; on errors it
// reconnects with exponential backoff (1 s doubling to 5 min, with jitter).
func (p *Poller) Run(ctx context.Context) error {
	backoff := time.Second
	for ctx.Err() == nil {
		synced, err := p.session(ctx)
		if ctx.Err() != nil {
			break
		}
		if synced {
			backoff = time.Second // the connection worked: start the backoff again
		}
		if !synced {
			p.tell(err) // a session that synced and then dropped is no failure unless reconnecting fails
		}
		p.log.Warn("imap mailbox session ended", "mailbox", p.key, "host", p.s.Host, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff + rand.N(backoff/2+1)):
		}
		backoff = min(2*backoff, 5*time.Minute)
	}
	return ctx.Err()
}

// SyncOnce connects, imports new mail, and disconnects; it returns how many mails were imported.
func (p *Poller) SyncOnce(ctx context.Context) (int, error) {
	c, err := p.connect(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return p.sync(ctx, c)
}

// session is one connection: sync, wait, sync … until an error or ctx is done;
// synced reports that at least one sync succeeded.
func (p *Poller) session(ctx context.Context) (synced bool, err error) {
	c, err := p.connect(ctx)
	if err != nil {
		return false, err
	}
	defer c.Close()
	idle := c.Caps().Has(imap.CapIdle)
	for {
		if _, err := p.sync(ctx, c); err != nil {
			return synced, err
		}
		synced = true
		p.tell(nil)
		if idle {
			err = p.idle(ctx, c)
		} else {
			err = p.sleep(ctx)
		}
		if err == nil && !p.tokenExpiry.IsZero() && !time.Now().Before(p.tokenExpiry) {
			err = errTokenExpired
		}
		if err != nil {
			return synced, err
		}
	}
}

// connect dials, logs in and selects the folder.
func (p *Poller) connect(ctx context.Context) (*imapclient.Client, error) {
	addr := net.JoinHostPort(p.s.Host, strconv.Itoa(p.s.Port))
	tlsConf := p.s.TLSConfig
	if tlsConf == nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConf = tlsConf.Clone()
	if tlsConf.ServerName == "" {
		tlsConf.ServerName = p.s.Host
	}
	opts := &imapclient.Options{
		TLSConfig: tlsConf,
		Dialer:    egress.Dialer(p.s.Timeout),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case p.wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	var c *imapclient.Client
	err := p.bounded(ctx, nil, func() (err error) {
		switch p.s.TLS {
		case TLSNone:
			c, err = imapclient.DialInsecure(addr, opts)
		case TLSStartTLS:
			c, err = imapclient.DialStartTLS(addr, opts)
		default:
			c, err = imapclient.DialTLS(addr, opts)
		}
		if err == nil {
			err = c.WaitGreeting()
		}
		return err
	})
	if err != nil {
		if c != nil {
			_ = c.Close()
		}
		return nil, fmt.Errorf("imap connect %s: %w", addr, err)
	}
	if p.s.Token != nil {
		return c, p.authenticate(ctx, c)
	}
	if err := p.bounded(ctx, c, func() error { return c.Login(p.s.Username, p.s.Password).Wait() }); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("imap login as %s: %w", p.s.Username, err)
	}
	return c, nil
}

// authenticate logs in with the mailbox's access token: SASL XOAUTH2 (Gmail, Microsoft 365), or
// OAUTHBEARER (RFC 7628) when the server offers only that; it closes c on failure.
func (p *Poller) authenticate(ctx context.Context, c *imapclient.Client) error {
	user, token, expiry, err := p.s.Token(ctx)
	if err != nil {
		_ = c.Close()
		return fmt.Errorf("imap access token: %w", err)
	}
	// End the session a little before the token expires (a quarter of its life, at most a minute), so the
	// next login, with a renewed token, comes before servers drop a session whose token expired.
	p.tokenExpiry = expiry.Add(-min(time.Minute, time.Until(expiry)/4))
	mechs := c.Caps().AuthMechanisms()
	var client sasl.Client
	switch {
	case slices.Contains(mechs, XOAuth2):
		client = NewXOAuth2Client(user, token)
	case slices.Contains(mechs, sasl.OAuthBearer):
		client = sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: token, Host: p.s.Host, Port: p.s.Port})
	default:
		_ = c.Close()
		return health.Fail(fmt.Sprintf("IMAP server %s offers neither XOAUTH2 nor OAUTHBEARER login (it offers %v)", p.s.Host, mechs), true, nil)
	}
	if err := p.bounded(ctx, c, func() error { return c.Authenticate(client) }); err != nil {
		_ = c.Close()
		var refused *imap.Error
		if !errors.As(err, &refused) {
			return fmt.Errorf("imap login as %s: %w", user, err)
		}
		if p.s.TokenRefused != nil {
			p.s.TokenRefused(ctx, token)
		}
		return health.Fail(fmt.Sprintf("IMAP server %s refused the access token of %s (it said: %s); routedesk renews the token and tries again. "+
			"If this lasts, check that IMAP is enabled for the mailbox", p.s.Host, user, truncate(refused.Text, 200)), false, err)
	}
	return nil
}

// bounded runs fn with the command timeout; on timeout or ctx end it closes c to unblock fn.
func (p *Poller) bounded(ctx context.Context, c *imapclient.Client, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(p.s.Timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		if c != nil {
			_ = c.Close()
		}
		return fmt.Errorf("imap command timed out after %s", p.s.Timeout)
	case <-ctx.Done():
		if c != nil {
			_ = c.Close()
		}
		return ctx.Err()
	}
}

// sync imports every mail above the saved UID.
func (p *Poller) sync(ctx context.Context, c *imapclient.Client) (int, error) {
	var sel *imap.SelectData
	readOnly := !p.s.MarkRead && !p.s.Delete
	err := p.bounded(ctx, c, func() (err error) {
		sel, err = c.Select(p.s.Folder, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("imap select %q: %w", p.s.Folder, err)
	}
	st, err := p.state.LoadIMAPState(ctx, p.key)
	if err != nil {
		return 0, fmt.Errorf("load imap state: %w", err)
	}
	criteria, st, err := p.plan(ctx, st, sel)
	if err != nil {
		return 0, err
	}
	var found *imap.SearchData
	if err := p.bounded(ctx, c, func() (err error) { found, err = c.UIDSearch(criteria, nil).Wait(); return err }); err != nil {
		return 0, fmt.Errorf("imap search: %w", err)
	}
	n := 0
	for _, uid := range found.AllUIDs() {
		if uint32(uid) <= st.LastUID {
			continue // "n:*" always matches the last message
		}
		imported, err := p.importOne(ctx, c, uid, &st)
		if err != nil {
			return n, err
		}
		if imported {
			n++
		}
	}
	if p.s.Delete && n > 0 {
		if err := p.bounded(ctx, c, func() error { return c.Expunge().Close() }); err != nil {
			return n, fmt.Errorf("imap expunge: %w", err)
		}
	}
	return n, nil
}

// plan returns the search for new mail, resetting the state on a first run or a UIDVALIDITY change.
func (p *Poller) plan(ctx context.Context, st IMAPState, sel *imap.SelectData) (*imap.SearchCriteria, IMAPState, error) {
	criteria := &imap.SearchCriteria{}
	switch {
	case st.UIDValidity == sel.UIDValidity:
	case st.UIDValidity == 0 && !p.s.ImportExisting:
		// First run: start at the current end of the folder, the seam a history backfill ends at.
		st = IMAPState{UIDValidity: sel.UIDValidity, LastSeen: time.Now().UTC()}
		if sel.UIDNext > 0 {
			st.LastUID = uint32(sel.UIDNext) - 1
		}
		if init, ok := p.state.(IMAPStateIniter); ok {
			// A backfill may have seen the mailbox first: then its seam holds.
			var err error
			if st, err = init.InitIMAPState(ctx, p.key, st); err != nil {
				return nil, st, fmt.Errorf("init imap state: %w", err)
			}
		}
	case st.UIDValidity == 0:
		st = IMAPState{UIDValidity: sel.UIDValidity}
	default:
		// The old UIDs mean nothing now: offer again what arrived since the last import's day.
		p.log.Warn("imap UIDVALIDITY changed", "mailbox", p.key, "old", st.UIDValidity, "new", sel.UIDValidity)
		criteria.Since = st.LastSeen.AddDate(0, 0, -1)
		st = IMAPState{UIDValidity: sel.UIDValidity, LastSeen: st.LastSeen}
	}
	if err := p.state.SaveIMAPState(ctx, p.key, st); err != nil {
		return nil, st, fmt.Errorf("save imap state: %w", err)
	}
	criteria.UID = []imap.UIDSet{{imap.UIDRange{Start: imap.UID(st.LastUID + 1), Stop: 0}}}
	return criteria, st, nil
}

// importOne fetches one mail with BODY.PEEK[], hands it to the handler and advances the state.
func (p *Poller) importOne(ctx context.Context, c *imapclient.Client, uid imap.UID, st *IMAPState) (bool, error) {
	section := &imap.FetchItemBodySection{Peek: true}
	var msgs []*imapclient.FetchMessageBuffer
	err := p.bounded(ctx, c, func() (err error) {
		size := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true})
		msgs, err = size.Collect()
		if err != nil || len(msgs) == 0 || msgs[0].RFC822Size > p.s.MaxBytes {
			return err
		}
		msgs, err = c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, InternalDate: true,
			BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("imap fetch uid %d: %w", uid, err)
	}
	imported := false
	if len(msgs) > 0 {
		raw := msgs[0].FindBodySection(section)
		if raw == nil {
			p.log.Warn("imap message skipped: over the size limit", "mailbox", p.key, "uid", uid,
				"size", msgs[0].RFC822Size, "limit", p.s.MaxBytes)
		} else {
			if err := p.handle(ctx, raw); err != nil {
				return false, fmt.Errorf("store imap uid %d: %w", uid, err)
			}
			imported = true
			if !msgs[0].InternalDate.IsZero() {
				st.LastSeen = msgs[0].InternalDate.UTC()
			}
		}
	}
	st.LastUID = uint32(uid)
	if err := p.state.SaveIMAPState(ctx, p.key, *st); err != nil {
		return imported, fmt.Errorf("save imap state: %w", err)
	}
	if imported {
		return true, p.afterImport(ctx, c, uid)
	}
	return false, nil
}

// afterImport marks the mail read or deleted when configured.
func (p *Poller) afterImport(ctx context.Context, c *imapclient.Client, uid imap.UID) error {
	var flags []imap.Flag
	if p.s.MarkRead {
		flags = append(flags, imap.FlagSeen)
	}
	if p.s.Delete {
		flags = append(flags, imap.FlagDeleted)
	}
	if len(flags) == 0 {
		return nil
	}
	return p.bounded(ctx, c, func() error {
		return c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close()
	})
}
