package meta

import (
	"time"
)

// MessengerEvent is one messaging event of a Messenger webhook batch.
type MessengerEvent struct {
	PageID            string    // entry[].id: the page the event belongs to
	PSID              string    // sender.id: the user's page-scoped ID (the page itself for echoes)
	RecipientID       string    // recipient.id: the page (the user for echoes)
	Timestamp         time.Time // messaging[].timestamp (ms epoch), else entry[].time; UTC
	Kind              string    // KindMessage, KindPostback, KindEcho, KindRead, KindDelivery or KindOther
	MID               string    // message.mid (or postback.mid)
	Text              string    // message.text
	Attachments       int       // len(message.attachments)
	QuickReplyPayload string    // message.quick_reply.payload
	PostbackPayload   string    // postback.payload
	PostbackTitle     string    // postback.title
}

// ParseMessenger returns every messaging event of every entry of an "object": "page" payload, in order.
//
// Unknown fields are ignored; a read field of the wrong type, or a missing
// entry id, sender id (except for KindOther) or message mid, is a *FieldError
// naming its JSON path. Standby (handover) events are not returned.
func ParseMessenger(body []byte) ([]MessengerEvent, error) {
	var events []MessengerEvent
	var n counter
	err := walkMessenger(body, func(entry object, path, pageID string) error {
		entryTime, err := entry.integer("time", path)
		if err != nil {
			return err
		}
		return entry.eachObject("messaging", path, func(m object, p string) error {
			if err := n.add(); err != nil {
				return err
			}
			ev, err := parseMessaging(m, p)
			if err != nil {
				return err
			}
			ev.PageID = pageID
			if ev.Timestamp.IsZero() && entryTime != 0 {
				ev.Timestamp = time.UnixMilli(entryTime).UTC()
			}
			events = append(events, ev)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// walkMessenger calls fn for every entry of a page payload with its non-empty id.
func walkMessenger(body []byte, fn func(entry object, path, pageID string) error) error {
	root, err := decodeRoot(body, "page")
	if err != nil {
		return err
	}
	return root.eachObject("entry", "", func(entry object, p string) error {
		pageID, err := entry.id("id", p)
		if err != nil {
			return err
		}
		return fn(entry, p, pageID)
	})
}

// parseMessaging reads one entry[].messaging[] event.
func parseMessaging(m object, p string) (MessengerEvent, error) {
	var ev MessengerEvent
	sender, err := m.obj("sender", p)
	if err != nil {
		return ev, err
	}
	if ev.PSID, err = sender.str("id", join(p, "sender")); err != nil {
		return ev, err
	}
	recipient, err := m.obj("recipient", p)
	if err != nil {
		return ev, err
	}
	if ev.RecipientID, err = recipient.str("id", join(p, "recipient")); err != nil {
		return ev, err
	}
	ts, err := m.integer("timestamp", p)
	if err != nil {
		return ev, err
	}
	if ts != 0 {
		ev.Timestamp = time.UnixMilli(ts).UTC()
	}

	switch {
	case m.has("message"):
		err = readMessage(&ev, m, p)
	case m.has("postback"):
		err = readPostback(&ev, m, p)
	case m.has("read"):
		ev.Kind = KindRead
		_, err = m.obj("read", p)
	case m.has("delivery"):
		ev.Kind = KindDelivery
		_, err = m.obj("delivery", p)
	default:
		ev.Kind = KindOther
	}
	if err != nil {
		return ev, err
	}
	if ev.Kind != KindOther && ev.PSID == "" {
		return ev, fieldErr(join(p, "sender.id"), "missing or empty")
	}
	return ev, nil
}

// readMessage fills a message or echo event from messaging[].message.
func readMessage(ev *MessengerEvent, m object, p string) error {
	msg, err := m.obj("message", p)
	if err != nil {
		return err
	}
	mp := join(p, "message")
	echo, err := msg.boolean("is_echo", mp)
	if err != nil {
		return err
	}
	ev.Kind = KindMessage
	if echo {
		ev.Kind = KindEcho
	}
	if ev.MID, err = msg.id("mid", mp); err != nil {
		return err
	}
	if ev.Text, err = msg.str("text", mp); err != nil {
		return err
	}
	err = msg.eachObject("attachments", mp, func(object, string) error {
		ev.Attachments++
		return nil
	})
	if err != nil {
		return err
	}
	qr, err := msg.obj("quick_reply", mp)
	if err != nil {
		return err
	}
	ev.QuickReplyPayload, err = qr.str("payload", join(mp, "quick_reply"))
	return err
}

// readPostback fills a postback event from messaging[].postback.
func readPostback(ev *MessengerEvent, m object, p string) error {
	pb, err := m.obj("postback", p)
	if err != nil {
		return err
	}
	pp := join(p, "postback")
	ev.Kind = KindPostback
	if ev.MID, err = pb.str("mid", pp); err != nil {
		return err
	}
	if ev.PostbackPayload, err = pb.str("payload", pp); err != nil {
		return err
	}
	ev.PostbackTitle, err = pb.str("title", pp)
	return err
}
