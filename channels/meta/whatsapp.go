package meta

import (
	"strconv"
	"time"
)

// WhatsAppEvent is one inbound message or outbound-message status of a WhatsApp webhook batch.
type WhatsAppEvent struct {
	PhoneNumberID      string        // value.metadata.phone_number_id: the business number addressed
	DisplayPhoneNumber string        // value.metadata.display_phone_number
	Kind               string        // KindMessage or KindStatus
	WAMID              string        // messages[].id or statuses[].id
	From               string        // messages[].from: the customer's wa_id (messages only)
	ProfileName        string        // contacts[].profile.name of the contact whose wa_id is From
	Timestamp          time.Time     // timestamp (seconds epoch as a string); UTC
	Type               string        // messages[].type: text, button, interactive, image, ...
	Text               string        // text.body, button.text, interactive reply title or media caption
	Payload            string        // button.payload or interactive button_reply/list_reply id
	Attachments        int           // number of image, document, audio, video, sticker and location parts
	Status             string        // statuses[].status: sent, delivered, read, failed
	RecipientID        string        // statuses[].recipient_id: the customer's wa_id (statuses only)
	StatusErrors       []StatusError // statuses[].errors
}

// StatusError is one entry of statuses[].errors, e.g. 131047 "Re-engagement message".
type StatusError struct {
	Code  int    // error code
	Title string // error title
}

// whatsAppAttachments are the message parts counted as attachments.
var whatsAppAttachments = []string{"image", "document", "audio", "video", "sticker", "location"}

// whatsAppMetadata is the value.metadata of a "messages" change.
type whatsAppMetadata struct {
	phoneNumberID string
	display       string
}

// ParseWhatsApp returns every message and status of every "messages" change of a "whatsapp_business_account" payload, in order.
//
// Changes of other fields are skipped. Unknown fields are ignored; a read
// field of the wrong type, or a missing phone_number_id, message id/from or
// status id, is a *FieldError naming its JSON path.
func ParseWhatsApp(body []byte) ([]WhatsAppEvent, error) {
	var events []WhatsAppEvent
	var n counter
	err := walkWhatsApp(body, func(value object, vp string, meta whatsAppMetadata) error {
		names := map[string]string{}
		err := value.eachObject("contacts", vp, func(c object, cp string) error {
			waID, err := c.str("wa_id", cp)
			if err != nil {
				return err
			}
			profile, err := c.obj("profile", cp)
			if err != nil {
				return err
			}
			name, err := profile.str("name", join(cp, "profile"))
			if err != nil {
				return err
			}
			if waID != "" {
				names[waID] = name
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = value.eachObject("messages", vp, func(m object, mp string) error {
			if err := n.add(); err != nil {
				return err
			}
			ev, err := parseWhatsAppMessage(m, mp)
			if err != nil {
				return err
			}
			ev.PhoneNumberID, ev.DisplayPhoneNumber = meta.phoneNumberID, meta.display
			ev.ProfileName = names[ev.From]
			events = append(events, ev)
			return nil
		})
		if err != nil {
			return err
		}
		return value.eachObject("statuses", vp, func(s object, sp string) error {
			if err := n.add(); err != nil {
				return err
			}
			ev, err := parseWhatsAppStatus(s, sp)
			if err != nil {
				return err
			}
			ev.PhoneNumberID, ev.DisplayPhoneNumber = meta.phoneNumberID, meta.display
			events = append(events, ev)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// walkWhatsApp calls fn for the value of every "messages" change, with its metadata (non-empty phone_number_id).
func walkWhatsApp(body []byte, fn func(value object, path string, meta whatsAppMetadata) error) error {
	root, err := decodeRoot(body, "whatsapp_business_account")
	if err != nil {
		return err
	}
	return root.eachObject("entry", "", func(entry object, ep string) error {
		return entry.eachObject("changes", ep, func(change object, cp string) error {
			field, err := change.str("field", cp)
			if err != nil || field != "messages" {
				return err
			}
			value, err := change.obj("value", cp)
			if err != nil {
				return err
			}
			vp := join(cp, "value")
			if value == nil {
				return fieldErr(vp, "missing")
			}
			md, err := value.obj("metadata", vp)
			if err != nil {
				return err
			}
			mdp := join(vp, "metadata")
			var meta whatsAppMetadata
			if meta.phoneNumberID, err = md.id("phone_number_id", mdp); err != nil {
				return err
			}
			if meta.display, err = md.str("display_phone_number", mdp); err != nil {
				return err
			}
			return fn(value, vp, meta)
		})
	})
}

// parseWhatsAppMessage reads one value.messages[] element.
func parseWhatsAppMessage(m object, p string) (WhatsAppEvent, error) {
	ev := WhatsAppEvent{Kind: KindMessage}
	var err error
	if ev.WAMID, err = m.id("id", p); err != nil {
		return ev, err
	}
	if ev.From, err = m.id("from", p); err != nil {
		return ev, err
	}
	if ev.Timestamp, err = secondsTimestamp(m, p); err != nil {
		return ev, err
	}
	if ev.Type, err = m.str("type", p); err != nil {
		return ev, err
	}
	text, err := m.obj("text", p)
	if err != nil {
		return ev, err
	}
	if ev.Text, err = text.str("body", join(p, "text")); err != nil {
		return ev, err
	}
	if err := readButton(&ev, m, p); err != nil {
		return ev, err
	}
	if err := readInteractive(&ev, m, p); err != nil {
		return ev, err
	}
	for _, key := range whatsAppAttachments {
		part, err := m.obj(key, p)
		if err != nil {
			return ev, err
		}
		if part == nil {
			continue
		}
		ev.Attachments++
		caption, err := part.str("caption", join(p, key))
		if err != nil {
			return ev, err
		}
		if ev.Text == "" {
			ev.Text = caption
		}
	}
	return ev, nil
}

// readButton reads messages[].button (a quick-reply button of a template).
func readButton(ev *WhatsAppEvent, m object, p string) error {
	b, err := m.obj("button", p)
	if err != nil || b == nil {
		return err
	}
	bp := join(p, "button")
	if ev.Payload, err = b.str("payload", bp); err != nil {
		return err
	}
	text, err := b.str("text", bp)
	if err != nil {
		return err
	}
	if ev.Text == "" {
		ev.Text = text
	}
	return nil
}

// readInteractive reads messages[].interactive (button_reply or list_reply).
func readInteractive(ev *WhatsAppEvent, m object, p string) error {
	in, err := m.obj("interactive", p)
	if err != nil || in == nil {
		return err
	}
	ip := join(p, "interactive")
	for _, key := range []string{"button_reply", "list_reply"} {
		reply, err := in.obj(key, ip)
		if err != nil {
			return err
		}
		if reply == nil {
			continue
		}
		rp := join(ip, key)
		id, err := reply.str("id", rp)
		if err != nil {
			return err
		}
		title, err := reply.str("title", rp)
		if err != nil {
			return err
		}
		if ev.Payload == "" {
			ev.Payload = id
		}
		if ev.Text == "" {
			ev.Text = title
		}
	}
	return nil
}

// parseWhatsAppStatus reads one value.statuses[] element.
func parseWhatsAppStatus(s object, p string) (WhatsAppEvent, error) {
	ev := WhatsAppEvent{Kind: KindStatus}
	var err error
	if ev.WAMID, err = s.id("id", p); err != nil {
		return ev, err
	}
	if ev.Status, err = s.str("status", p); err != nil {
		return ev, err
	}
	if ev.RecipientID, err = s.str("recipient_id", p); err != nil {
		return ev, err
	}
	if ev.Timestamp, err = secondsTimestamp(s, p); err != nil {
		return ev, err
	}
	err = s.eachObject("errors", p, func(e object, ep string) error {
		code, err := e.integer("code", ep)
		if err != nil {
			return err
		}
		if code != int64(int(code)) {
			return fieldErr(join(ep, "code"), "out of range")
		}
		title, err := e.str("title", ep)
		if err != nil {
			return err
		}
		ev.StatusErrors = append(ev.StatusErrors, StatusError{Code: int(code), Title: title})
		return nil
	})
	return ev, err
}

// secondsTimestamp reads "timestamp", a string of seconds since the epoch; absent gives the zero time.
func secondsTimestamp(o object, p string) (time.Time, error) {
	s, err := o.str("timestamp", p)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fieldErr(join(p, "timestamp"), "want seconds since the epoch, got %q", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}
