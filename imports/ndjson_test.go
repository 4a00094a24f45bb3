package imports

import (
	"strings"
	"testing"
)

func TestParseLineNamesTheBadField(t *testing.T) {
	ok := `{"external_id":"c","contact":{"email":"a@example.com"},"messages":[{"external_id":"m","direction":"inbound","text":"hi","sent_at":"2023-01-01T00:00:00Z"}]}`
	if _, err := ParseLine([]byte(ok)); err != nil {
		t.Fatalf("good line refused: %v", err)
	}
	for _, tc := range []struct{ line, want string }{
		{`nope`, "not a JSON object"},
		{`{"external_id":"c","contact":{},"messages":[]}`, "contact: needs an email or an external_user_id"},
		{`{"external_id":"","contact":{"email":"a@example.com"}}`, "external_id: required"},
		{strings.Replace(ok, `"inbound"`, `"up"`, 1), "messages[0].direction"},
		{strings.Replace(ok, `"hi"`, `""`, 1), "messages[0]: needs text or html"},
		{strings.Replace(ok, `,"sent_at":"2023-01-01T00:00:00Z"`, ``, 1), "messages[0].sent_at: required"},
		{strings.Replace(ok, `"hi"`, `"\u0000"`, 1), "messages[0].text: holds a NUL"},
		{strings.Replace(ok, `"a@example.com"`, `"not an address"`, 1), "contact.email: is not an email address"},
		{strings.Replace(ok, `"messages"`, `"ticket":{"status":5},"messages"`, 1), "ticket.status: must be a string"},
		{ok + ` {}`, "more than one JSON value"},
	} {
		_, err := ParseLine([]byte(tc.line))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseLine(%.60s) = %v, want %q", tc.line, err, tc.want)
		}
	}
}
