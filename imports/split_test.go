package imports

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/email"
)

func readAll(t testing.TB, sp splitter) []record {
	t.Helper()
	var out []record
	for {
		rec, err := sp.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

func TestMboxSplitsMailsAndUnquotesFrom(t *testing.T) {
	raw, err := os.ReadFile("testdata/thunderbird.mbox")
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, newMboxSplitter(bytes.NewReader(raw), Position{}, email.DefaultMaxBytes))
	if len(recs) != 5 {
		t.Fatalf("got %d mails, want 5", len(recs))
	}
	if recs[0].Line != 1 || recs[1].Line != 12 || recs[2].Line != 26 {
		t.Errorf("lines = %d %d %d, want 1 12 26", recs[0].Line, recs[1].Line, recs[2].Line)
	}
	if !bytes.Contains(recs[0].Data, []byte("\nFrom what I can see")) || bytes.Contains(recs[0].Data, []byte(">From")) {
		t.Errorf("first mail's >From line not unquoted:\n%s", recs[0].Data)
	}
	m, err := email.Parse(recs[1].Data)
	if err != nil || m.MessageID != "out-1@acme.test" {
		t.Fatalf("second mail parses to %+v, %v", m, err)
	}
	if got := recs[len(recs)-1].End.Offset; got != int64(len(raw)) {
		t.Errorf("last mail ends at %d, want %d", got, len(raw))
	}
}

// Resuming at any record's End yields exactly the records that followed it.
func TestSplittersResumeAtEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		new  func(io.Reader, Position) splitter
	}{
		{"mbox", "testdata/gmail_takeout.mbox", func(r io.Reader, p Position) splitter { return newMboxSplitter(r, p, 1<<20) }},
		{"ndjson", "testdata/good_and_bad.ndjson", func(r io.Reader, p Position) splitter { return newNDJSONSplitter(r, p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			checkResume(t, raw, tc.new)
		})
	}
}

func checkResume(t testing.TB, raw []byte, newSplitter func(io.Reader, Position) splitter) {
	all := readAll(t, newSplitter(bytes.NewReader(raw), Position{}))
	for i, rec := range all {
		rest := readAll(t, newSplitter(bytes.NewReader(raw[rec.End.Offset:]), Position{Offset: rec.End.Offset, Line: rec.End.Line}))
		want := all[i+1:]
		if len(rest) != len(want) {
			t.Fatalf("resuming after record %d: %d records, want %d", i, len(rest), len(want))
		}
		for k := range rest {
			if rest[k].Line != want[k].Line || !bytes.Equal(rest[k].Data, want[k].Data) || rest[k].End != want[k].End || rest[k].Problem != want[k].Problem {
				t.Fatalf("resuming after record %d: record %d differs: %+v vs %+v", i, k, rest[k], want[k])
			}
		}
	}
}

func TestMboxrdUnquotesOneLevel(t *testing.T) {
	raw, err := os.ReadFile("testdata/apple_mail.mbox")
	if err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, newMboxSplitter(bytes.NewReader(raw), Position{}, 1<<20))
	if len(recs) != 2 || !bytes.Contains(recs[0].Data, []byte("\n>From the home page")) || bytes.Contains(recs[0].Data, []byte(">>From")) {
		t.Fatalf("apple mail: %d mails, first:\n%s", len(recs), recs[0].Data)
	}
}

func TestNDJSONLineTooLongIsReportedAndSkipped(t *testing.T) {
	in := "{}\n" + strings.Repeat("x", MaxLineBytes+10) + "\n\n{\"a\":1}\n"
	recs := readAll(t, newNDJSONSplitter(strings.NewReader(in), Position{}))
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	if recs[1].Problem == "" || recs[1].Line != 2 || recs[2].Line != 4 || string(recs[2].Data) != "{\"a\":1}\n" {
		t.Errorf("records: %+v / %+v", recs[1].Line, recs[2])
	}
}
