package email

import (
	"regexp"
	"strings"
)

// attribution matches the line a client writes above a quoted reply, e.g.
// Gmail's "On Tue, 3 Jan 2023 at 10:00, Ada <ada@example.com> wrote:" and its
// translations.
var attribution = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^on\b.{4,}\bwrote\s*:$`),
	regexp.MustCompile(`(?i)^am\b.{4,}\bschrieb\b.*:$`),
	regexp.MustCompile(`(?i)^le\b.{4,}\ba\s+écrit\s*:$`),
	regexp.MustCompile(`(?i)^el\b.{4,}\bescribió\s*:$`),
	regexp.MustCompile(`(?i)^op\b.{4,}\bschreef\b.*:$`),
	regexp.MustCompile(`(?i)^den\b.{4,}\bskrev\b.*:$`),
	regexp.MustCompile(`(?i)^(il|in data)\b.{4,}\bha scritto\s*:$`),
	regexp.MustCompile(`(?i)^em\b.{4,}\bescreveu\s*:$`),
	// Localised Gmail without a leading word: "tis 3 jan. 2023 kl 10:00 skrev Ada <ada@example.com>:".
	regexp.MustCompile(`(?i)^.*[0-9@].*\b(wrote|skrev|schrieb|a écrit|escribió|schreef|ha scritto|escreveu|kirjoitti|napisał\(a\)|napisał)[^:]*:$`),
}

// isAttribution reports whether lines[i] (or lines[i] and lines[i+1], as
// clients wrap long attributions) is a reply attribution; it returns how many lines it spans.
func isAttribution(lines []string, i int) int {
	line := strings.TrimSpace(lines[i])
	if len(line) > 300 || line == "" {
		return 0
	}
	if matchesAny(attribution, line) {
		return 1
	}
	if i+1 < len(lines) {
		joined := line + " " + strings.TrimSpace(lines[i+1])
		// Only the patterns with a leading word ("On", "Am", "Le" …): the generic one
		// would also match an ordinary line joined to the attribution under it.
		if len(joined) <= 300 && matchesAny(attribution[:len(attribution)-1], joined) {
			return 2
		}
	}
	return 0
}

func matchesAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// isHeaderBlock reports whether lines[i:] start an Outlook-style header block:
// a From line followed closely by a date/sent line and a to or subject line.
func isHeaderBlock(lines []string, i int) bool {
	field, _, ok := headerField(lines[i])
	if !ok || field != fieldFrom {
		return false
	}
	seen := map[string]bool{}
	for j := i + 1; j < len(lines) && j <= i+8; j++ {
		if strings.TrimSpace(lines[j]) == "" {
			continue
		}
		f, _, ok := headerField(lines[j])
		if !ok {
			break
		}
		seen[f] = true
	}
	return seen[fieldDate] && (seen[fieldSubject] || seen[fieldTo])
}

// SplitQuoted splits a reply's text into the new text and the quoted history
// below it: Gmail's "On … wrote:" (and translations), Outlook's "From: … Sent: …"
// block (and translations, with or without its rule line), "-----Original
// Message-----" and a trailing block of "> " lines. quoted reports whether
// history was found; without it newText is text and quotedText is empty.
func SplitQuoted(text string) (newText, quotedText string, quoted bool) {
	lines := strings.Split(text, "\n")
	cut := quoteStart(lines)
	if cut < 0 {
		return text, "", false
	}
	return strings.TrimRight(strings.Join(lines[:cut], "\n"), " \t\n"),
		strings.TrimSpace(strings.Join(lines[cut:], "\n")), true
}

// quoteStart returns the index of the first line of quoted history, or -1.
func quoteStart(lines []string) int {
	for i, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			continue
		case isOriginalSeparator(t):
			return i
		case inlineRun(t) != nil:
			return i
		case isForwardSeparator(t) && i+1 < len(lines) && isFieldLine(lines[nextNonBlank(lines, i+1)]):
			return i
		case isRule(t) && i+1 < len(lines) && isHeaderBlock(lines, nextNonBlank(lines, i+1)):
			return i
		case isHeaderBlock(lines, i):
			return i
		case isAttribution(lines, i) > 0:
			return i
		case strings.HasPrefix(t, ">") && onlyQuotesFrom(lines, i):
			return i
		}
	}
	return -1
}

// isFieldLine reports a header-block line such as "From: …" or "Betreff: …".
func isFieldLine(line string) bool {
	_, _, ok := headerField(line)
	return ok
}

// nextNonBlank returns the index of the first non-blank line at or after i (len(lines)-1 at most).
func nextNonBlank(lines []string, i int) int {
	for i < len(lines)-1 && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	return min(i, len(lines)-1)
}

// onlyQuotesFrom reports whether every non-blank line from i on starts with '>'.
func onlyQuotesFrom(lines []string, i int) bool {
	for _, l := range lines[i:] {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, ">") {
			return false
		}
	}
	return true
}

// unquote removes one level of "> " quoting from every line when all
// non-blank lines are quoted.
func unquote(text string) string {
	lines := strings.Split(text, "\n")
	if !onlyQuotesFrom(lines, 0) {
		return text
	}
	for i, l := range lines {
		l = strings.TrimLeft(l, " \t")
		l = strings.TrimPrefix(l, ">")
		lines[i] = strings.TrimPrefix(l, " ")
	}
	return strings.Join(lines, "\n")
}
