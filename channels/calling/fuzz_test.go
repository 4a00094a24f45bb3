package calling

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzCall(f *testing.F) {
	f.Add([]byte(`{"call_id":"c1","from_number":"070-123 45 67","to_number":"+46850001234","status":"missed"}`), "SE")
	f.Add([]byte(`{"call_id":"c2","from_number":"+1 (415) 555-0123","direction":"outbound","to_number":"00441632960000","status":"voicemail","duration_seconds":-1,"recording_url":"https://x/y","transcript":"hi"}`), "")
	f.Add([]byte(`{"call_id":" ","from_number":"++1","status":"completed","started_at":"2026-01-02T03:04:05Z"}`), "US")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, region string) {
		var req Request
		dec := json.NewDecoder(bytes.NewReader(body))
		if dec.Decode(&req) != nil {
			return
		}
		c, errs := req.Call(region, now)
		if len(errs) > 0 {
			for _, e := range errs {
				if e.Field == "" || e.Message == "" {
					t.Fatalf("unnamed error %+v", e)
				}
			}
			return
		}
		if c.CallID == "" || c.StatusRank == 0 || (c.Direction != "inbound" && c.Direction != "outbound") {
			t.Fatalf("accepted an invalid call %+v", c)
		}
		customer := Customer(c)
		if !strings.HasPrefix(customer, "+") || len(customer) > 16 {
			t.Fatalf("customer number %q is not E.164", customer)
		}
		subject, text := Message(c)
		if !utf8.ValidString(text) || !strings.HasPrefix(text, subject) || !strings.Contains(subject, customer) {
			t.Fatalf("message %q / %q", subject, text)
		}
	})
}
