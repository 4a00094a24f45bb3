package channels

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// HistoricalMail is one mail of an exported mailbox (mbox) as its channel reads it for an import.
type HistoricalMail struct {
	MessageID string
	// InReplyTo and References name the mails it answers, for threading.
	InReplyTo, References []string
	Date                  time.Time
	Subject, Text, HTML   string
	// Outbound: the mail is from the channel's own address (an earlier answer of the team).
	Outbound bool
	// Author wrote the mail; Contact is the customer of its thread (a forward's original sender, per the channel's setting).
	Author, Contact domain.Author
	// Skip says why the mail is not imported (a bounce, an auto-reply); "" imports it.
	Skip string
	// Attachments are its files, inline images included, as live mail stores them (one over the limit listed as omitted).
	Attachments []store.Attachment
}

// MailReader is a channel that reads exported mail (mbox) for imports.
type MailReader interface {
	// ReadHistoricalMail reads one raw mail as the channel configured by config (its stored JSON) sees it.
	ReadHistoricalMail(raw []byte, config json.RawMessage) (HistoricalMail, error)
	// MaxMailBytes is the largest mail it reads.
	MaxMailBytes() int
}

// MailboxImporter is a channel whose own mailbox (the email channel's IMAP folder) can be backfilled by an import.
type MailboxImporter interface {
	// Mailbox returns the mailbox of ch as its unsealed config (store.ChannelConfig) names it; ok is false when ch has none.
	Mailbox(ch domain.Channel, config json.RawMessage) (m Mailbox, ok bool, err error)
}

// Mailbox is a channel's own mailbox, read for a history backfill.
type Mailbox interface {
	// IncludeHistory reports whether connecting the channel backfills the mailbox's history.
	IncludeHistory() bool
	// Seam fixes (once per mailbox, shared with live polling) and returns where history ends and live mail begins.
	Seam(ctx context.Context, now time.Time) (MailboxSeam, error)
	// Fetch returns, in UID order, up to max mails of history after UID after: UIDs at most seam.UID, arrived since seam.Since;
	// more reports that history goes on. A changed UIDVALIDITY is an ErrUIDValidityChanged.
	Fetch(ctx context.Context, seam MailboxSeam, after uint32, max int) (mails []MailboxMail, more bool, err error)
	// Close ends the connection Seam and Fetch keep open.
	Close() error
}

// MailboxSeam is the part of a mailbox a backfill imports.
type MailboxSeam struct {
	// UIDValidity is the folder's UIDVALIDITY the UIDs belong to.
	UIDValidity uint32 `json:"uid_validity"`
	// UID is the highest UID of history; live polling takes the UIDs above it.
	UID uint32 `json:"uid"`
	// Since is the oldest INTERNALDATE (by day, as IMAP SEARCH SINCE) imported.
	Since time.Time `json:"since"`
	// Days is the history window the seam was fixed with.
	Days int `json:"days"`
}

// MailboxMail is one mail of a mailbox's history.
type MailboxMail struct {
	UID uint32
	// Raw is the whole mail; nil when it is over the channel's size limit (TooLarge).
	Raw      []byte
	TooLarge bool
	// Gone: expunged between the search and the fetch; nothing to import, but its UID is done.
	Gone bool
	// Received is its INTERNALDATE, the date of a mail without a Date header.
	Received time.Time
}

// ErrUIDValidityChanged means the folder's UIDs were renumbered during a backfill; it has to start again.
var ErrUIDValidityChanged = errors.New("the folder's UIDVALIDITY changed")
