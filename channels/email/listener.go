package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/domain"
)

// Delivery is one mail accepted by the SMTP listener.
type Delivery struct {
	// ChannelIDs are the channels whose addresses were among the recipients, deduplicated.
	ChannelIDs []string
	// Recipients are the accepted RCPT TO addresses.
	Recipients []string
	// MailFrom is the envelope sender (MAIL FROM); empty for bounces.
	MailFrom string
	// Raw is the message as received.
	Raw []byte
	// RemoteAddr is the client's address.
	RemoteAddr string
	// ReceivedAt is when the DATA ended.
	ReceivedAt time.Time
}

// Inbox is what the SMTP listener needs from the rest of routedesk.
type Inbox interface {
	// ChannelsFor returns the id of the email channel a recipient address
	// belongs to (at most one: its mailbox has one owner); none means unknown.
	// A *smtp.SMTPError is answered as is; any other error is answered 451.
	ChannelsFor(ctx context.Context, address string) ([]string, error)
	// Store durably stores the mail for its channels; it returns only once the
	// mail is safely stored, as the listener answers 250 right after. A
	// *smtp.SMTPError is answered as is; any other error is answered 451.
	Store(ctx context.Context, d Delivery) error
}

// ListenerConfig configures the SMTP listener.
type ListenerConfig struct {
	// Addr is the TCP address to listen on, e.g. 127.0.0.1:2525.
	Addr string
	// Domain is the name the server greets with (default "localhost").
	Domain string
	// MaxBytes is the largest message accepted; larger ones get 552 (default DefaultMaxBytes).
	MaxBytes int64
	// MaxRecipients is the most RCPT TO per message (default 100).
	MaxRecipients int
	// ReadTimeout and WriteTimeout bound each network read and write (default 2 minutes).
	ReadTimeout, WriteTimeout time.Duration
	// StoreTimeout bounds Inbox.Store and Inbox.ChannelsFor (default 1 minute).
	StoreTimeout time.Duration
	// TLSConfig enables STARTTLS when it holds a certificate.
	TLSConfig *tls.Config
}

// Listener is a running SMTP listener.
type Listener struct {
	srv  *smtp.Server
	ln   net.Listener
	done chan struct{}
	err  error
}

// Listen binds cfg.Addr and serves SMTP until Close.
func Listen(cfg ListenerConfig, inbox Inbox) (*Listener, error) {
	if cfg.Domain == "" {
		cfg.Domain = "localhost"
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = 100
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 2 * time.Minute
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 2 * time.Minute
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = time.Minute
	}
	srv := smtp.NewServer(&backend{cfg: cfg, inbox: inbox})
	srv.Addr = cfg.Addr
	srv.Domain = cfg.Domain
	srv.MaxMessageBytes = cfg.MaxBytes
	srv.MaxRecipients = cfg.MaxRecipients
	// Real mail carries long lines (HTML on one line, base64 without folding): any line fits within the message size.
	srv.MaxLineLength = int(min(cfg.MaxBytes, int64(^uint32(0)>>1)))
	// Internationalised addresses (RFC 6531): the envelope and the headers may carry UTF-8 addresses.
	srv.EnableSMTPUTF8 = true
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	if cfg.TLSConfig != nil && (len(cfg.TLSConfig.Certificates) > 0 || cfg.TLSConfig.GetCertificate != nil) {
		srv.TLSConfig = cfg.TLSConfig
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp listen on %s: %w", cfg.Addr, err)
	}
	l := &Listener{srv: srv, ln: ln, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			l.err = err
		}
	}()
	return l, nil
}

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Close stops accepting connections, lets sessions in progress finish until
// ctx is done, then closes the rest. It returns the error that stopped serving, if any.
func (l *Listener) Close(ctx context.Context) error {
	// Close the socket ourselves too: Serve may not have registered it with the server yet.
	_ = l.ln.Close()
	if err := l.srv.Shutdown(ctx); err != nil {
		_ = l.srv.Close()
	}
	<-l.done
	return l.err
}

type backend struct {
	cfg   ListenerConfig
	inbox Inbox
}

// NewSession implements smtp.Backend.
func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{b: b, ctx: ctx, cancel: cancel, remote: c.Conn().RemoteAddr().String()}, nil
}

type session struct {
	b      *backend
	ctx    context.Context
	cancel context.CancelFunc
	remote string

	mu       sync.Mutex
	from     string
	rcpts    []string
	channels []string
}

var (
	errUnknownRecipient = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
		Message: "No such mailbox here"}
	errLookupFailed = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "Temporary lookup failure, try again later"}
	errStoreFailed = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "Could not store the message, try again later"}
	errOverloaded = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 2},
		Message: "Too many messages are waiting to be ticketed, try again later"}
)

// Mail implements smtp.Session.
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.from = from
	return nil
}

// Rcpt implements smtp.Session: unknown recipients get 550.
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.b.cfg.StoreTimeout)
	defer cancel()
	ids, err := s.b.inbox.ChannelsFor(ctx, to)
	var refusal *smtp.SMTPError
	if errors.As(err, &refusal) {
		return refusal // the inbox's own answer (an address awaiting verification)
	}
	if err != nil {
		return errLookupFailed
	}
	if len(ids) == 0 {
		return errUnknownRecipient
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcpts = append(s.rcpts, to)
	for _, id := range ids {
		if !contains(s.channels, id) {
			s.channels = append(s.channels, id)
		}
	}
	return nil
}

// Data implements smtp.Session: the mail is stored before 250 is answered.
func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // smtp.ErrDataTooLarge is answered 552
	}
	s.mu.Lock()
	d := Delivery{ChannelIDs: append([]string(nil), s.channels...), Recipients: append([]string(nil), s.rcpts...),
		MailFrom: s.from, Raw: raw, RemoteAddr: s.remote, ReceivedAt: time.Now().UTC()}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(s.ctx, s.b.cfg.StoreTimeout)
	defer cancel()
	if err := s.b.inbox.Store(ctx, d); err != nil {
		var refusal *smtp.SMTPError
		if errors.As(err, &refusal) {
			return refusal // the inbox's own answer (an unparseable mail is refused for good)
		}
		var overloaded *domain.Overloaded
		if errors.As(err, &overloaded) {
			return errOverloaded // over the intake limit: the sending server retries later
		}
		return errStoreFailed
	}
	return nil
}

// Reset implements smtp.Session.
func (s *session) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.from, s.rcpts, s.channels = "", nil, nil
}

// Logout implements smtp.Session.
func (s *session) Logout() error {
	s.cancel()
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
