package meta

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// seed adds every testdata fixture whose name starts with prefix to the corpus.
func seed(f *testing.F, prefix string) {
	names, err := filepath.Glob(filepath.Join("testdata", prefix+"*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no %s fixtures: %v", prefix, err)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParseMessenger(f *testing.F) {
	seed(f, "messenger_")
	f.Add([]byte(`{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"optin":{}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := ParseMessenger(body)
		ids, peekErr := MessengerPageIDs(body)
		if err != nil {
			if events != nil {
				t.Fatalf("events with error %v", err)
			}
			return
		}
		if peekErr != nil {
			t.Fatalf("parse ok but peek failed: %v", peekErr)
		}
		if len(events) > MaxEvents {
			t.Fatalf("%d events", len(events))
		}
		for i, ev := range events {
			if ev.PageID == "" {
				t.Fatalf("event %d: empty PageID", i)
			}
			if !slices.Contains(ids, ev.PageID) {
				t.Fatalf("event %d: PageID %q not among peeked %v", i, ev.PageID, ids)
			}
			switch ev.Kind {
			case KindMessage, KindEcho:
				if ev.PSID == "" || ev.MID == "" {
					t.Fatalf("event %d (%s): PSID %q MID %q", i, ev.Kind, ev.PSID, ev.MID)
				}
			case KindPostback, KindRead, KindDelivery:
				if ev.PSID == "" {
					t.Fatalf("event %d (%s): empty PSID", i, ev.Kind)
				}
			case KindOther:
			default:
				t.Fatalf("event %d: unknown kind %q", i, ev.Kind)
			}
		}
	})
}

func FuzzParseWhatsApp(f *testing.F) {
	seed(f, "whatsapp_")
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := ParseWhatsApp(body)
		ids, peekErr := WhatsAppPhoneNumberIDs(body)
		if err != nil {
			if events != nil {
				t.Fatalf("events with error %v", err)
			}
			return
		}
		if peekErr != nil {
			t.Fatalf("parse ok but peek failed: %v", peekErr)
		}
		if len(events) > MaxEvents {
			t.Fatalf("%d events", len(events))
		}
		for i, ev := range events {
			if ev.PhoneNumberID == "" || ev.WAMID == "" {
				t.Fatalf("event %d: PhoneNumberID %q WAMID %q", i, ev.PhoneNumberID, ev.WAMID)
			}
			if !slices.Contains(ids, ev.PhoneNumberID) {
				t.Fatalf("event %d: PhoneNumberID %q not among peeked %v", i, ev.PhoneNumberID, ids)
			}
			switch ev.Kind {
			case KindMessage:
				if ev.From == "" {
					t.Fatalf("event %d: message without From", i)
				}
			case KindStatus:
			default:
				t.Fatalf("event %d: unknown kind %q", i, ev.Kind)
			}
			if ev.Attachments < 0 || ev.Attachments > len(whatsAppAttachments) {
				t.Fatalf("event %d: %d attachments", i, ev.Attachments)
			}
		}
	})
}
