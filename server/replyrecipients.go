package server

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/google/uuid"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// maxReplyRecipients bounds each of a reply's to, cc and bcc.
const maxReplyRecipients = 50

// replyRecipients reads a reply's to, cc and bcc ("Name <address>" or "address"
// each); ok is false when none is given. A bad address is a 422 naming it (to[1]);
// a given to must name someone; only an email reply takes recipients.
func replyRecipients(req replyRequest, channelType string) (store.EmailAddresses, bool, error) {
	var out store.EmailAddresses
	if req.To == nil && req.Cc == nil && req.Bcc == nil {
		return out, false, nil
	}
	if channelType != "email" {
		field := "to"
		if req.To == nil {
			field = "cc"
			if req.Cc == nil {
				field = "bcc"
			}
		}
		return out, false, domain.Invalid(field, "only a reply on an email channel takes recipients; this ticket's channel is "+orNone(channelType))
	}
	if req.To != nil && len(*req.To) == 0 {
		return out, false, domain.Invalid("to", "names no recipient; leave it out to answer the thread's sender")
	}
	parts := []struct {
		field string
		in    *[]string
		dst   *[]store.MailAddress
	}{{"to", req.To, &out.To}, {"cc", req.Cc, &out.Cc}, {"bcc", req.Bcc, &out.Bcc}}
	for _, p := range parts {
		if p.in == nil {
			continue
		}
		if len(*p.in) > maxReplyRecipients {
			return out, false, domain.Invalid(p.field, fmt.Sprintf("at most %d recipients", maxReplyRecipients))
		}
		*p.dst = []store.MailAddress{}
		for i, v := range *p.in {
			field := fmt.Sprintf("%s[%d]", p.field, i)
			a, err := mail.ParseAddress(strings.TrimSpace(v))
			if err != nil || len(v) > 320 || strings.ContainsAny(v, "\r\n\x00") {
				return out, false, domain.Invalid(field, "is not an email address (\"name@example.com\" or \"Name <name@example.com>\")")
			}
			*p.dst = append(*p.dst, store.MailAddress{Name: a.Name, Email: a.Address})
		}
	}
	return out, true, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// newReplyUpdateID is the id of a reply's workflow update, chosen by the API so what
// it stores for the reply beforehand (its recipients) is found by the reply's external id.
func newReplyUpdateID() string { return "reply-" + uuid.NewString() }
