package activities

import (
	"context"
	"errors"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// MaxSendTimeout bounds a send that carries files: SendTimeout plus a second per MB, within the
// 30-s start-to-close timeout of the send activities.
const MaxSendTimeout = 25 * time.Second

// sendTimeout is how long one send of r may take: SendTimeout, more for its files' upload.
func sendTimeout(r channels.Reply) time.Duration {
	var size int
	for _, f := range r.Attachments {
		size += len(f.Content)
	}
	return min(SendTimeout+time.Duration(size>>20)*time.Second, MaxSendTimeout)
}

// claimFiles makes the reply's uploads the stored message's attachments. Uploads that are gone
// (a day passed before the reply was stored) fail the reply with the reason: it never goes out without them.
func (a *Activities) claimFiles(ctx context.Context, in ReplyInput, msg domain.Message) (domain.Message, error) {
	if len(in.Attachments) == 0 || msg.Status != domain.MessageQueued {
		return msg, nil
	}
	err := a.Store.ClaimReplyUploads(ctx, in.AccountID, msg.ID, in.Attachments)
	if errors.Is(err, store.ErrUploadsGone) {
		reason := "not sent: " + err.Error()
		if _, ferr := a.Store.FailOutbound(ctx, in.AccountID, msg.ID, reason); ferr != nil {
			return msg, classify(ferr)
		}
		msg.Status, msg.FailureReason = domain.MessageFailed, reason
		return msg, nil
	}
	return msg, classify(err)
}

// withFiles gives r the stored reply's files and a log of its parts sent. A channel that cannot
// send files refuses a reply that has some: it is failed with the reason, never sent without them.
func (a *Activities) withFiles(ctx context.Context, ch channels.Channel, r *channels.Reply) error {
	r.Parts = partLog{store: a.Store, messageID: r.MessageID}
	files, err := a.Store.OutboundAttachments(ctx, r.AccountID, r.MessageID)
	if err != nil {
		return classify(err)
	}
	if len(files) == 0 {
		return nil
	}
	if _, ok := ch.(channels.Attaching); !ok {
		return channels.Reject("the reply has files and "+string(ch.Type())+" channels cannot send files", nil)
	}
	for _, f := range files {
		if f.Omitted {
			return channels.Reject("the reply's file "+f.Name+" was not kept", nil)
		}
		r.Attachments = append(r.Attachments, channels.Attachment{N: f.N, Name: f.Name, ContentType: f.ContentType, Content: f.Content})
	}
	return nil
}

// partLog is the PartLog of one stored reply, in PostgreSQL.
type partLog struct {
	store     *store.Store
	messageID string
}

func (l partLog) Sent(ctx context.Context, part string) (string, bool, error) {
	return l.store.SentPart(ctx, l.messageID, part)
}

func (l partLog) Record(ctx context.Context, part, providerID string) error {
	return l.store.RecordSentPart(ctx, l.messageID, part, providerID)
}
