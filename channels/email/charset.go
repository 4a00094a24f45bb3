package email

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/gogs/chardet"
	"github.com/jhillyerd/enmime"
	"github.com/jhillyerd/enmime/mediatype"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// undeclaredCharset labels a text part that declares no charset (or us-ascii, which
// 8-bit content contradicts): the MIME parser cannot convert it and keeps its raw
// bytes, which decodeUndeclared then decodes by detection.
const undeclaredCharset = "x-routedesk-undeclared"

// minDetectConfidence is the chardet confidence (0-100) below which a legacy
// guess is not trusted and Windows-1252, the commonest legacy mail charset, is used.
const minDetectConfidence = 20

// parseMediaType is the MIME parser's media type parser: enmime's, with the
// charset of a text part that declares none (or us-ascii) marked undeclaredCharset.
func parseMediaType(ctype string) (string, map[string]string, []string, error) {
	mt, params, invalid, err := mediatype.ParseWithOptions(ctype, mediatype.MediaTypeParseOptions{StripMediaTypeInvalidCharacters: true})
	if err != nil || !strings.HasPrefix(mt, "text/") {
		return mt, params, invalid, err
	}
	switch strings.ToLower(strings.Trim(strings.TrimSpace(params["charset"]), `"`)) {
	case "", "us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968":
		if params == nil {
			params = map[string]string{}
		}
		params["charset"] = undeclaredCharset
	}
	return mt, params, invalid, err
}

// decodeUndeclaredParts decodes the text parts under root whose charset is
// undeclared (see parseMediaType) and drops the parser's warning about that label.
func decodeUndeclaredParts(root *enmime.Part) {
	for _, p := range root.DepthMatchAll(func(p *enmime.Part) bool { return p.Charset == undeclaredCharset }) {
		p.Content, p.Charset = decodeUndeclared(p.Content, p.ContentType == "text/html")
		kept := p.Errors[:0]
		for _, e := range p.Errors {
			if !strings.Contains(e.Detail, undeclaredCharset) {
				kept = append(kept, e)
			}
		}
		p.Errors = kept
	}
}

// decodeUndeclared returns b as UTF-8 and the charset it was read as: valid
// UTF-8 as is, else an HTML document's own <meta> charset, else the legacy
// charset chardet finds most likely, else Windows-1252.
func decodeUndeclared(b []byte, html bool) ([]byte, string) {
	if utf8.Valid(b) {
		return b, "utf-8"
	}
	if html {
		if e, name, _ := charset.DetermineEncoding(b, "text/html"); name != "windows-1252" && name != "utf-8" {
			if out, err := e.NewDecoder().Bytes(b); err == nil {
				return out, name
			}
		}
	}
	e, name := detectLegacy(b, html)
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return bytes.ToValidUTF8(b, []byte("\uFFFD")), "utf-8"
	}
	return out, name
}

// detectLegacy returns the legacy (non-UTF-8) charset of b chardet finds most
// likely with some confidence, else Windows-1252. Names are read with the
// WHATWG index, so ISO-8859-1 is read as its superset Windows-1252; among equally
// likely guesses Windows-1252 wins, then the first name in order, so a tie is decided the same way every time.
func detectLegacy(b []byte, html bool) (encoding.Encoding, string) {
	det := chardet.NewTextDetector()
	if html {
		det = chardet.NewHtmlDetector()
	}
	results, err := det.DetectAll(b)
	best, bestName, bestConf := encoding.Encoding(charmap.Windows1252), "windows-1252", -1
	if err != nil {
		return best, bestName
	}
	for _, r := range results {
		if r.Confidence < minDetectConfidence || strings.EqualFold(r.Charset, "UTF-8") || r.Confidence < bestConf {
			continue
		}
		e, err := htmlindex.Get(r.Charset)
		if err != nil {
			continue
		}
		name, _ := htmlindex.Name(e)
		if r.Confidence > bestConf || bestName != "windows-1252" && (name == "windows-1252" || name < bestName) {
			best, bestName, bestConf = e, name, r.Confidence
		}
	}
	return best, bestName
}

// decodeRawHeaders returns raw with the lines of its top-level header that are
// not valid UTF-8 (raw 8-bit Latin-1, Windows-1252, … as some servers send From
// and Subject) decoded to UTF-8, by one detection over all of them; raw itself
// when the header is ASCII or UTF-8 (RFC 6532).
func decodeRawHeaders(raw []byte) []byte {
	end := headerEnd(raw)
	head := raw[:end]
	if utf8.Valid(head) {
		return raw
	}
	lines := bytes.SplitAfter(head, []byte("\n"))
	var sample []byte
	for _, l := range lines {
		if !utf8.Valid(l) {
			sample = append(sample, l...)
		}
	}
	e, _ := detectLegacy(sample, false)
	out := make([]byte, 0, len(raw)+len(sample))
	for _, l := range lines {
		if !utf8.Valid(l) {
			if d, err := e.NewDecoder().Bytes(l); err == nil {
				l = d
			} else {
				l = bytes.ToValidUTF8(l, []byte("\uFFFD"))
			}
		}
		out = append(out, l...)
	}
	return append(out, raw[end:]...)
}

// headerEnd returns the offset just past the blank line that ends the header (len(raw) when there is none).
func headerEnd(raw []byte) int {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return len(raw)
		}
		line := raw[i : i+j]
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return i + j + 1
		}
		i += j + 1
	}
	return len(raw)
}
