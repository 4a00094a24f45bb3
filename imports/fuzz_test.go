package imports

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/routedesk/routedesk/channels/email"
)

// FuzzNDJSON: any file splits into lines that ParseLine accepts or refuses
// without panicking, and resuming after any line yields the lines that followed.
func FuzzNDJSON(f *testing.F) {
	if raw, err := os.ReadFile("testdata/good_and_bad.ndjson"); err == nil {
		f.Add(raw)
	}
	f.Add([]byte("{}\n\n{\"external_id\":1}\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		newSplitter := func(r io.Reader, p Position) splitter { return newNDJSONSplitter(r, p) }
		for _, rec := range readAll(t, newSplitter(bytes.NewReader(raw), Position{})) {
			if c, err := ParseLine(rec.Data); err == nil {
				_ = c.Last()
			}
		}
		checkResume(t, raw, newSplitter)
	})
}

// FuzzMbox: any file splits into mails the email parser reads or refuses
// without panicking, and resuming after any mail yields the mails that followed.
func FuzzMbox(f *testing.F) {
	for _, name := range []string{"thunderbird.mbox", "gmail_takeout.mbox", "apple_mail.mbox"} {
		if raw, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte("junk\nFrom a\n>From b\nFrom \n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		newSplitter := func(r io.Reader, p Position) splitter { return newMboxSplitter(r, p, 1<<16) }
		for _, rec := range readAll(t, newSplitter(bytes.NewReader(raw), Position{})) {
			if rec.Problem == "" {
				_, _ = email.ParseWithLimits(rec.Data, email.DefaultLimits())
			}
			_ = fromLineDate(rec.Header, time.Time{})
		}
		checkResume(t, raw, newSplitter)
	})
}
