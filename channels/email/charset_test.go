package email

import (
	"strings"
	"testing"
)

// TestParseUndeclaredCharsets: raw 8-bit headers and bodies without a declared
// charset are read by detection (UTF-8, else Latin-1/Windows-1252 and other legacy
// charsets), and a UTF-8 body without Content-Type is not read as Latin-1.
func TestParseUndeclaredCharsets(t *testing.T) {
	cases := []struct {
		name, raw                 string
		fromName, fromEmail, subj string
		text                      string
	}{
		{"latin-1 headers and body", "From: J\xfcrgen M\xfcller <juergen@example.de>\r\nTo: support@acme.test\r\nSubject: Gr\xfc\xdfe aus K\xf6ln\r\n\r\nHallo, sch\xf6ne Gr\xfc\xdfe\r\n",
			"Jürgen Müller", "juergen@example.de", "Grüße aus Köln", "Hallo, schöne Grüße"},
		{"windows-1252 quotes and euro", "From: \x93Caf\xe9\x94 Dupont <cafe@example.fr>\r\nSubject: Prix \x80 10 \x96 caf\xe9\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nCa co\xfbte 10\x80 \x96 merci\r\n",
			"“Café” Dupont", "cafe@example.fr", "Prix € 10 – café", "Ca coûte 10€ – merci"},
		{"utf-8 without content-type", "From: Zo\xc3\xab <zoe@example.org>\r\nSubject: Gr\xc3\xbc\xc3\x9fe\r\n\r\nSch\xc3\xb6ne Gr\xc3\xbc\xc3\x9fe \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\r\n",
			"Zoë", "zoe@example.org", "Grüße", "Schöne Grüße — 日本"},
		{"utf-8 body declared us-ascii", "From: a@example.org\r\nSubject: x\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nna\xc3\xafve caf\xc3\xa9\r\n",
			"", "a@example.org", "x", "naïve café"},
		{"windows-1251 body", "From: a@example.org\r\nSubject: x\r\n\r\n\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0! \xca\xe0\xea \xe4\xe5\xeb\xe0? \xdd\xf2\xee \xf2\xe5\xf1\xf2\xee\xe2\xee\xe5 \xef\xe8\xf1\xfc\xec\xee.\r\n",
			"", "a@example.org", "x", "Привет, мир! Как дела? Это тестовое письмо."},
		{"declared charset kept", "From: a@example.org\r\nSubject: =?iso-8859-1?q?Gr=FC=DFe?=\r\nContent-Type: text/plain; charset=iso-8859-15\r\n\r\nPrix \xa4 5\r\n",
			"", "a@example.org", "Grüße", "Prix € 5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Parse([]byte(c.raw))
			if err != nil {
				t.Fatal(err)
			}
			if m.From.Name != c.fromName || m.From.Email != c.fromEmail || m.Subject != c.subj || m.Text != c.text {
				t.Errorf("from %q <%q>, subject %q, text %q", m.From.Name, m.From.Email, m.Subject, m.Text)
			}
			if strings.ContainsRune(m.Subject+m.Text+m.From.Name, '\uFFFD') {
				t.Errorf("replacement characters in %q / %q", m.Subject, m.Text)
			}
			for _, w := range m.Warnings {
				if strings.Contains(w, undeclaredCharset) {
					t.Errorf("warning about the internal label: %s", w)
				}
			}
		})
	}
}

// TestParseUndeclaredHTML: an HTML body without a charset is read by its <meta>, or detected.
func TestParseUndeclaredHTML(t *testing.T) {
	raw := "From: a@example.org\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n<html><head><meta charset=\"iso-8859-2\"></head><body><p>Za\xbf\xf3\xb3\xe6 g\xea\xb6l\xb1 ja\xbc\xf1</p></body></html>\r\n"
	m, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "Zażółć gęślą jaźń") {
		t.Errorf("text %q html %q", m.Text, m.HTML)
	}
}
