package email

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(nested(30))
	lim := Limits{MaxBytes: 1 << 20, MaxParts: 100, MaxDepth: 10, MaxEmbedded: 2}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseWithLimits(raw, lim)
		if err != nil {
			return
		}
		if m.Size != len(raw) || len(m.Attachments) > lim.MaxParts {
			t.Fatalf("size %d of %d, %d attachments", m.Size, len(raw), len(m.Attachments))
		}
		if m.Quoted && len(m.NewText) > len(m.Text) {
			t.Fatalf("new text longer than the text")
		}
	})
}

func FuzzParseForward(f *testing.F) {
	for _, c := range []struct{ subject, text string }{
		{"Fwd: x", "---------- Forwarded message ---------\nFrom: Ada <ada@x.test>\nDate: Mon\nSubject: x\nTo: b@x.test\n\nbody"},
		{"FW: x", "________________________________\nFrom: Ada [mailto:ada@x.test]\nSent: Mon\nTo: b\nSubject: x\n\nbody"},
		{"Fw: x", "----- Forwarded Message ----- From: A <a@x.test>To: B <b@x.test>Sent: MonSubject: x\nbody"},
		{"Re: x", "ok\n\nOn Mon, Ada <ada@x.test> wrote:\n> old"},
		{"WG: x", "> Anfang der weitergeleiteten Nachricht:\n>\n> Von: K <k@x.test>\n> Betreff: x\n"},
	} {
		f.Add(c.subject, c.text)
	}
	f.Fuzz(func(t *testing.T, subject, text string) {
		if fw := ParseForward(subject, text); fw != nil && len(fw.OriginalText) > len(text) {
			t.Fatalf("original text longer than the input")
		}
		newText, quoted, _ := SplitQuoted(text)
		if len(newText)+len(quoted) > len(text) {
			t.Fatalf("split grew the text")
		}
	})
}
