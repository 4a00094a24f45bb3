package channels

import (
	"encoding/json"
	"time"

	"github.com/routedesk/routedesk/domain"
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
}

// MailReader is a channel that reads exported mail (mbox) for imports.
type MailReader interface {
	// ReadHistoricalMail reads one raw mail as the channel configured by config (its stored JSON) sees it.
	ReadHistoricalMail(raw []byte, config json.RawMessage) (HistoricalMail, error)
	// MaxMailBytes is the largest mail it reads.
	MaxMailBytes() int
}
