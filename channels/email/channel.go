package email

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
)

// Type is the team email channel type.
const Type channels.Type = "email"

// Settings are the server-wide settings of team email (environment, not channel configuration).
type Settings struct {
	// SMTPAddr is where the SMTP listener accepts mail (ROUTEDESK_SMTP_ADDR); empty: no listener.
	SMTPAddr string
	// SMTPMaxBytes is the largest mail the listener and the raw endpoint take (ROUTEDESK_SMTP_MAX_BYTES; default DefaultMaxBytes).
	SMTPMaxBytes int64
	// SMTPTLS enables STARTTLS on the listener when it holds a certificate.
	SMTPTLS *tls.Config
	// SMTPDomain is the name the listener greets with (default "localhost").
	SMTPDomain string
	// IMAP runs one poller per connected channel with config.imap in this process.
	IMAP bool
	// IMAPTLS overrides the IMAP client's TLS configuration (a private CA in tests); nil uses the system roots.
	IMAPTLS *tls.Config
	// SMTPClientTLS overrides the reply sender's TLS configuration; nil uses the system roots.
	SMTPClientTLS *tls.Config
	// Rescan is how often the IMAP supervisor looks for connected, changed and disconnected channels (default 10 s).
	Rescan time.Duration
	// VerifyAddresses makes a newly connected address pending_verification until a mailed code proves
	// it (ROUTEDESK_EMAIL_VERIFICATION=required); false takes every address as proven (off, dev).
	VerifyAddresses bool
	// SystemMail sends verification mails for channels without config.smtp; nil: such channels cannot be proven.
	SystemMail SystemMailer
	// PublicURL is the API's public base URL, for the link in verification mails (ROUTEDESK_PUBLIC_URL); empty: code only.
	PublicURL string
	// LeaseTTL is how long a mailbox lease lasts unrenewed (default DefaultLeaseTTL); see pollLeased.
	LeaseTTL time.Duration
	// OnListening, when set, is told the SMTP listener's address once it is bound.
	OnListening func(addr string)
	// OAuth are the mailbox providers admins connect with their consent screens; nil: none.
	// It is read at each request, so a test may fill in PublicURL once its server listens.
	OAuth *OAuthSettings
}

// Channel is the team email channel.
type Channel struct {
	store  Store
	log    *slog.Logger
	set    Settings
	oauth  *OAuthSettings
	tokens *tokenCache
}

// New returns the team email channel over st; log receives what it cannot report otherwise (nil: discarded).
func New(st Store, log *slog.Logger, set Settings) *Channel {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if set.SMTPMaxBytes <= 0 {
		set.SMTPMaxBytes = DefaultMaxBytes
	}
	if set.Rescan <= 0 {
		set.Rescan = 10 * time.Second
	}
	if set.LeaseTTL <= 0 {
		set.LeaseTTL = DefaultLeaseTTL
	}
	if set.OAuth == nil {
		set.OAuth = &OAuthSettings{}
	}
	set.OAuth.withDefaults()
	return &Channel{store: st, log: log, set: set, oauth: set.OAuth, tokens: &tokenCache{m: map[string]accessToken{}}}
}

// Type returns Type.
func (*Channel) Type() channels.Type { return Type }

// NewConfig returns an empty *Config.
func (*Channel) NewConfig() channels.Config { return &Config{} }

// TierRequired returns "": every tier may connect team email.
func (*Channel) TierRequired() string { return "" }

// Traits returns no reply window.
func (*Channel) Traits() traits.Traits { return traits.Traits{} }

// Listen runs the SMTP listener (when Settings.SMTPAddr is set) and the IMAP pollers (when Settings.IMAP) until ctx ends.
func (c *Channel) Listen(ctx context.Context, h channels.Host) error {
	errc := make(chan error, 2)
	n := 0
	if c.set.SMTPAddr != "" {
		l, err := Listen(ListenerConfig{Addr: c.set.SMTPAddr, Domain: c.set.SMTPDomain, MaxBytes: c.set.SMTPMaxBytes,
			TLSConfig: c.set.SMTPTLS}, &inbox{c: c, h: h})
		if err != nil {
			return err
		}
		c.log.Info("SMTP listener listening", "addr", l.Addr().String(), "starttls", c.set.SMTPTLS != nil, "max_bytes", c.set.SMTPMaxBytes)
		if c.set.OnListening != nil {
			c.set.OnListening(l.Addr().String())
		}
		n++
		go func() {
			<-ctx.Done()
			closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			errc <- l.Close(closeCtx)
		}()
	}
	if c.set.IMAP {
		n++
		go func() { errc <- c.superviseIMAP(ctx, h) }()
	}
	var first error
	for range n {
		if err := <-errc; err != nil && first == nil && ctx.Err() == nil {
			first = err
		}
	}
	<-ctx.Done()
	return first
}
