package email

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/store"
)

// DefaultLeaseTTL is how long a server process holds a mailbox without renewing
// its lease. The poller renews it every quarter of that while it runs and gives it
// up when it stops; a process that dies keeps it at most this long, and the other
// processes try every quarter of it, so one takes over within 1.25 × the TTL.
const DefaultLeaseTTL = 6 * time.Second

// maxChannels caps the email channels one server process watches.
const maxChannels = 10000

// mailbox is one running IMAP poller.
type mailbox struct {
	fingerprint string
	cancel      context.CancelFunc
	done        chan struct{}
}

// superviseIMAP keeps one poller per connected email channel with config.imap,
// starting, restarting and stopping them as channels are connected, changed and
// disconnected (rescanning every Settings.Rescan) until ctx ends.
func (c *Channel) superviseIMAP(ctx context.Context, h channels.Host) error {
	owner := leaseOwner()
	running := map[string]*mailbox{}
	var wg sync.WaitGroup
	stop := func(id string) {
		mb := running[id]
		mb.cancel()
		<-mb.done
		delete(running, id)
	}
	defer func() {
		for id := range running {
			stop(id)
		}
		wg.Wait()
	}()
	for {
		want, err := c.imapChannels(ctx, h)
		if err != nil && ctx.Err() == nil {
			c.log.WarnContext(ctx, "list email channels for IMAP", "error", err)
		}
		if err == nil {
			for id, mb := range running {
				if w, ok := want[id]; !ok || w.fingerprint != mb.fingerprint {
					stop(id)
				}
			}
			for id, w := range want {
				if _, ok := running[id]; ok {
					continue
				}
				pctx, cancel := context.WithCancel(ctx)
				mb := &mailbox{fingerprint: w.fingerprint, cancel: cancel, done: make(chan struct{})}
				running[id] = mb
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer close(mb.done)
					c.pollLeased(pctx, h, w.ch, w.settings, owner)
				}()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(c.set.Rescan):
		}
	}
}

// wantedMailbox is a channel whose mailbox should be polled.
type wantedMailbox struct {
	ch          domain.Channel
	settings    IMAPSettings
	fingerprint string
}

// imapChannels returns the connected email channels with config.imap, by id.
func (c *Channel) imapChannels(ctx context.Context, h channels.Host) (map[string]wantedMailbox, error) {
	chans, err := c.store.ChannelsOfType(ctx, string(Type), maxChannels)
	if err != nil {
		return nil, err
	}
	out := map[string]wantedMailbox{}
	for _, ch := range chans {
		raw, err := h.Config(ctx, ch)
		if err != nil {
			c.log.WarnContext(ctx, "email channel config unreadable", "channel_id", ch.ID, "error", err)
			continue
		}
		cfg, ok := raw.(*Config)
		if !ok || cfg.IMAP == nil {
			continue
		}
		parts := []any{cfg.IMAP}
		if cfg.OAuth != nil {
			parts = append(parts, cfg.OAuth, cfg.Address, ch.Version) // a reconnect restarts the poller at once
		}
		enc, _ := json.Marshal(parts)
		sum := sha256.Sum256(enc)
		out[ch.ID] = wantedMailbox{ch: ch, settings: c.imapSettings(ch.ID, cfg), fingerprint: hex.EncodeToString(sum[:])}
	}
	return out, nil
}

// imapSettings turns a channel's config.imap into poller settings (logging in with the provider's
// access token when the mailbox is connected through config.oauth).
func (c *Channel) imapSettings(channelID string, cfg *Config) IMAPSettings {
	m := cfg.IMAP
	s := IMAPSettings{Host: m.Host, Port: m.Port, Username: m.Username, Password: m.Password, Folder: m.Folder,
		TLS: m.TLS, MarkRead: m.MarkRead, Delete: m.Delete, MaxBytes: c.set.SMTPMaxBytes, TLSConfig: c.set.IMAPTLS}
	s.Token, s.TokenRefused = c.mailboxTokens(channelID, cfg)
	if m.PollIntervalSeconds > 0 {
		s.PollInterval = time.Duration(m.PollIntervalSeconds) * time.Second
	}
	return s
}

// pollLeased polls ch's mailbox while this process holds its lease; without
// the lease it waits and tries again, so one process polls a mailbox at a time.
func (c *Channel) pollLeased(ctx context.Context, h channels.Host, ch domain.Channel, s IMAPSettings, owner string) {
	for ctx.Err() == nil {
		held, err := c.store.LeaseIMAP(ctx, ch.ID, owner, c.set.LeaseTTL)
		if err != nil && ctx.Err() == nil {
			c.log.WarnContext(ctx, "lease imap mailbox", "channel_id", ch.ID, "error", err)
		}
		if held {
			c.pollWhileHeld(ctx, h, ch, s, owner)
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(c.set.LeaseTTL / 4):
		}
	}
	releaseCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.store.ReleaseIMAP(releaseCtx, ch.ID, owner); err != nil {
		c.log.Warn("release imap lease", "channel_id", ch.ID, "error", err)
	}
}

// pollWhileHeld runs the poller and renews the lease; losing the lease stops the poller.
func (c *Channel) pollWhileHeld(ctx context.Context, h channels.Host, ch domain.Channel, s IMAPSettings, owner string) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	handle := func(ctx context.Context, raw []byte) error {
		m, err := ParseWithLimits(raw, Limits{MaxBytes: c.set.SMTPMaxBytes})
		if err != nil {
			c.log.WarnContext(ctx, "unparseable IMAP mail skipped", "channel_id", ch.ID, "error", err)
			return nil
		}
		_, err = c.deliverTo(ctx, h, ch, m, raw, envelope{source: SourceIMAP})
		return err
	}
	p, err := NewPoller(s, ch.ID, imapState{c.store}, handle, c.log.With("channel_id", ch.ID))
	if err != nil {
		c.store.RecordHealth(ctx, ch.ID, health.IMAP, health.Fail("IMAP settings refused: "+err.Error(), true, err))
		<-ctx.Done()
		return
	}
	p.ReportHealth(func(err error) { c.store.RecordHealth(ctx, ch.ID, health.IMAP, err) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = p.Run(pctx)
	}()
	t := time.NewTicker(c.set.LeaseTTL / 4)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			held, err := c.store.LeaseIMAP(ctx, ch.ID, owner, c.set.LeaseTTL)
			if err != nil || !held {
				c.log.WarnContext(ctx, "imap lease lost; polling stops", "channel_id", ch.ID, "error", err)
				cancel()
				<-done
				return
			}
		}
	}
}

// imapState persists poller state in the store, keyed by channel id.
type imapState struct{ st Store }

// LoadIMAPState implements IMAPStateStore.
func (s imapState) LoadIMAPState(ctx context.Context, key string) (IMAPState, error) {
	st, err := s.st.LoadIMAPState(ctx, key)
	return fromStoreState(st), err
}

// InitIMAPState implements IMAPStateIniter.
func (s imapState) InitIMAPState(ctx context.Context, key string, st IMAPState) (IMAPState, error) {
	got, err := s.st.InitIMAPState(ctx, key, toStoreState(st))
	return fromStoreState(got), err
}

func fromStoreState(st store.IMAPState) IMAPState {
	return IMAPState{UIDValidity: st.UIDValidity, LastUID: st.LastUID, LastSeen: st.LastSeen,
		SeamUIDValidity: st.SeamUIDValidity, SeamUID: st.SeamUID}
}

// SaveIMAPState implements IMAPStateStore.
func (s imapState) SaveIMAPState(ctx context.Context, key string, st IMAPState) error {
	return s.st.SaveIMAPState(ctx, key, toStoreState(st))
}

func toStoreState(st IMAPState) store.IMAPState {
	return store.IMAPState{UIDValidity: st.UIDValidity, LastUID: st.LastUID, LastSeen: st.LastSeen}
}

// leaseOwner names this process in mailbox leases: host, pid and a random suffix.
func leaseOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
