package email

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
)

// benchMessage returns a realistic reply of about size bytes: multipart/alternative
// text and HTML with quoted history, and, for large sizes, a base64 attachment.
func benchMessage(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: Grace Hopper <grace@example.org>\r\nTo: support@acme.test\r\n" +
		"Subject: Re: Where is my order? [#T-1042]\r\nMessage-ID: <bench@example.org>\r\n" +
		"In-Reply-To: <out-1@acme.test>\r\nDate: Tue, 3 Jan 2023 10:15:00 +0100\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=mixed\r\n\r\n--mixed\r\n" +
		"Content-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Thanks, that helps.\r\n\r\nOn Mon, 2 Jan 2023 at 16:40, Acme Support <support@acme.test> wrote:\r\n")
	textBudget := min(size/2, 24<<10)
	for b.Len() < textBudget {
		b.WriteString("> Your order ships tomorrow; here is what we know about the parcel so far, in detail.\r\n")
	}
	b.WriteString("\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<div>Thanks, that helps.</div><blockquote>")
	for b.Len() < 2*textBudget {
		b.WriteString("<p>Your order ships <b>tomorrow</b>; here is what we know about the parcel so far.</p>\r\n")
	}
	b.WriteString("</blockquote>\r\n--alt--\r\n")
	if rest := size - b.Len() - 200; rest > 0 {
		b.WriteString("--mixed\r\nContent-Type: application/pdf; name=big.pdf\r\n" +
			"Content-Disposition: attachment; filename=big.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		raw := bytes.Repeat([]byte("%PDF-1.4 routedesk benchmark payload "), rest*3/4/37+1)
		enc := base64.StdEncoding.EncodeToString(raw)
		for i := 0; i < len(enc) && b.Len() < size-40; i += 76 {
			b.WriteString(enc[i:min(i+76, len(enc))])
			b.WriteString("\r\n")
		}
	}
	b.WriteString("--mixed--\r\n")
	return b.Bytes()
}

// stdlibWalk is the baseline: the standard library decoding every part of the
// message (mime/multipart, quoted-printable and base64) without charsets,
// HTML, quotes, forwards or classification.
func stdlibWalk(r io.Reader, header map[string][]string) (int, error) {
	ct := ""
	if v := header["Content-Type"]; len(v) > 0 {
		ct = v[0]
	}
	mediaType, params, _ := mime.ParseMediaType(ct)
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		total := 0
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return total, nil
			}
			if err != nil {
				return total, err
			}
			n, err := stdlibWalk(part, part.Header)
			if err != nil {
				return total, err
			}
			total += n
		}
	}
	if v := header["Content-Transfer-Encoding"]; len(v) > 0 && strings.EqualFold(v[0], "base64") {
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	return len(b), err
}

// BenchmarkParse measures Parse against a baseline in the same run: the
// standard library decoding the same message's parts (stdlibWalk). Report
// Parse/<size> ns/op divided by Baseline/<size> ns/op.
func BenchmarkParse(b *testing.B) {
	for _, size := range []int{50 << 10, 10 << 20} {
		name := fmt.Sprintf("%dKB", size>>10)
		var raw []byte
		b.Run("Baseline/"+name, func(b *testing.B) {
			raw = benchMessage(size)
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				msg, err := mail.ReadMessage(bytes.NewReader(raw))
				if err != nil {
					b.Fatal(err)
				}
				if n, err := stdlibWalk(msg.Body, msg.Header); err != nil || n == 0 {
					b.Fatal(n, err)
				}
			}
		})
		b.Run("Parse/"+name, func(b *testing.B) {
			if raw == nil {
				raw = benchMessage(size)
			}
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				m, err := Parse(raw)
				if err != nil {
					b.Fatal(err)
				}
				if !m.Quoted || !strings.HasPrefix(m.NewText, "Thanks") {
					b.Fatalf("parsed wrongly: %q", m.NewText)
				}
			}
		})
	}
}
