package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"
)

// IMAPSettings is one mailbox to fetch mail from.
type IMAPSettings struct {
	// Host is the IMAP server's host name.
	Host string
	// Port is the IMAP server's port (default 993, or 143 with starttls/none).
	Port int
	// Username and Password log in (an app password for Gmail and Office 365).
	Username, Password string
	// Folder is the mailbox to watch (default INBOX).
	Folder string
	// TLS is "tls" (implicit, the default), "starttls" or "none" (loopback hosts only).
	TLS string
	// PollInterval is how often to look for new mail without IDLE, and the
	// longest IDLE before a re-check, at most 29 minutes (default 1 minute).
	PollInterval time.Duration
	// Timeout bounds the dial and each command (default 30 s).
	Timeout time.Duration
	// MarkRead sets \Seen on imported mail (default off: mail stays unread).
	MarkRead bool
	// Delete deletes imported mail from the server (default off).
	Delete bool
	// ImportExisting imports the mail already in the folder on the first run
	// (default off: only mail arriving after the mailbox was connected).
	ImportExisting bool
	// MaxBytes skips messages larger than this (default DefaultMaxBytes).
	MaxBytes int64
	// TLSConfig overrides the TLS client configuration; nil uses the system roots.
	TLSConfig *tls.Config
	// Token, when set, logs in with SASL XOAUTH2 (or OAUTHBEARER) as the account and access token it
	// returns instead of Username and Password; a session ends when its token expires, to log in afresh.
	Token TokenFunc
	// TokenRefused is told a token the server refused, so the next login does not use it again.
	TokenRefused func(ctx context.Context, token string)
}

// TokenFunc returns the account and a valid access token of an OAuth-connected mailbox, and when the token expires.
type TokenFunc func(ctx context.Context) (user, token string, expiry time.Time, err error)

func (s IMAPSettings) withDefaults() IMAPSettings {
	if s.TLS == "" {
		s.TLS = TLSImplicit
	}
	if s.Port == 0 {
		s.Port = 993
		if s.TLS != TLSImplicit {
			s.Port = 143
		}
	}
	if s.Folder == "" {
		s.Folder = "INBOX"
	}
	if s.PollInterval <= 0 {
		s.PollInterval = time.Minute
	}
	if s.Timeout <= 0 {
		s.Timeout = 30 * time.Second
	}
	if s.MaxBytes <= 0 {
		s.MaxBytes = DefaultMaxBytes
	}
	return s
}

// Validate checks the settings.
func (s IMAPSettings) Validate() error {
	if s.Host == "" || (s.Username == "" && s.Token == nil) {
		return errors.New("imap.host and imap.username are required")
	}
	switch s.TLS {
	case "", TLSImplicit, TLSStartTLS:
	case TLSNone:
		if !IsLoopbackHost(s.Host) {
			return fmt.Errorf("imap.tls none is allowed only for loopback hosts, not %q", s.Host)
		}
	default:
		return fmt.Errorf("imap.tls %q is not tls, starttls or none", s.TLS)
	}
	return nil
}

// IMAPState is how far a mailbox has been imported.
type IMAPState struct {
	// UIDValidity is the folder's UIDVALIDITY the UIDs belong to.
	UIDValidity uint32 `json:"uid_validity"`
	// LastUID is the highest UID imported.
	LastUID uint32 `json:"last_uid"`
	// LastSeen is the INTERNALDATE of the last imported mail; after a
	// UIDVALIDITY change, mail from that day on is offered again.
	LastSeen time.Time `json:"last_seen"`
	// SeamUIDValidity and SeamUID are where the mailbox's history ends (the
	// folder's end when it was first seen); 0 when not recorded.
	SeamUIDValidity uint32 `json:"seam_uid_validity,omitempty"`
	SeamUID         uint32 `json:"seam_uid,omitempty"`
}

// IMAPStateStore persists IMAPState per mailbox (e.g. in the channel's row).
type IMAPStateStore interface {
	// LoadIMAPState returns the saved state; the zero state when there is none.
	LoadIMAPState(ctx context.Context, key string) (IMAPState, error)
	// SaveIMAPState saves the state.
	SaveIMAPState(ctx context.Context, key string, st IMAPState) error
}

// IMAPStateIniter is an IMAPStateStore that records a mailbox's first state
// (and history seam) only when none is recorded, returning the state in force.
type IMAPStateIniter interface {
	InitIMAPState(ctx context.Context, key string, st IMAPState) (IMAPState, error)
}

// IMAPHandler stores one fetched mail durably; the UID is advanced only after
// it returns nil. After a UIDVALIDITY change, mail already stored may be
// offered again: deduplicate by Message-ID.
type IMAPHandler func(ctx context.Context, raw []byte) error
