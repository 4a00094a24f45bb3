package email

import (
	"regexp"
	"strings"
)

// ticketRef matches the ticket reference we put in subjects: "[#T-<ref>]".
var ticketRef = regexp.MustCompile(`\[#T-([A-Za-z0-9][A-Za-z0-9-]{0,63})\]`)

// validRef matches a ticket number or id usable in a reference or plus-address token.
var validRef = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,63}$`)

// TicketRef returns the subject reference of a ticket, "[#T-<ref>]"; "" when
// ref is not 1-64 letters, digits or '-' (starting with a letter or digit).
func TicketRef(ref string) string {
	if !validRef.MatchString(ref) {
		return ""
	}
	return "[#T-" + ref + "]"
}

// ExtractTicketRef returns the ticket number or id of the last "[#T-<ref>]" in a subject.
func ExtractTicketRef(subject string) (string, bool) {
	all := ticketRef.FindAllStringSubmatch(subject, -1)
	if len(all) == 0 {
		return "", false
	}
	return all[len(all)-1][1], true
}

// replyPrefix matches the reply and forward prefixes of a subject, repeated.
var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|aw|sv|vs|antw|ref|res|rif|r|fwd?|fw|wg|tr|rv|vb|doorst|enc)\s*(\[\d+\])?\s*:\s*)+`)

// ReplySubject returns "Re: <original> [#T-<ref>]": the original subject without its
// reply/forward prefixes and old ticket references, a single "Re: ", and the reference
// of ref when ref is valid. An empty original subject gives "Re: [#T-<ref>]".
func ReplySubject(original, ref string) string {
	s := ticketRef.ReplaceAllString(original, "")
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimSpace(replyPrefix.ReplaceAllString(s, ""))
	out := "Re: " + s
	if r := TicketRef(ref); r != "" {
		if s != "" {
			out += " "
		}
		out += r
	}
	return strings.TrimRight(out, " ")
}

// splitAddress splits an address into its local part, plus token and domain
// (lower-cased); ok is false when it has no '@'.
func splitAddress(addr string) (local, token, domain string, ok bool) {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", "", "", false
	}
	local, domain = addr[:at], strings.ToLower(addr[at+1:])
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local, token = local[:plus], local[plus+1:]
	}
	return local, token, domain, true
}

// MatchTeamAddress reports whether recipient is the team address or one of its
// plus-addresses ("support+anything@example.com" matches "support@example.com";
// local part compared case-insensitively, as mail providers do, domain
// case-insensitively) and returns the plus token, if any.
func MatchTeamAddress(recipient, team string) (token string, ok bool) {
	rl, rt, rd, ok1 := splitAddress(recipient)
	tl, _, td, ok2 := splitAddress(team)
	if !ok1 || !ok2 || rd != td || !strings.EqualFold(rl, tl) {
		return "", false
	}
	return rt, true
}

// SameAddress reports whether a and b are the same mailbox, ignoring plus
// tokens and case.
func SameAddress(a, b string) bool {
	_, ok := MatchTeamAddress(a, b)
	return ok
}

// PlusAddress returns the team address with a plus token: support+T-42@example.com.
// The domain is lower-cased. It returns team unchanged when the token is not 1-64 letters, digits or '-'.
func PlusAddress(team, token string) string {
	local, _, domain, ok := splitAddress(team)
	if !ok || !validRef.MatchString(token) {
		return team
	}
	return local + "+" + token + "@" + domain
}

// PlusToken returns the plus token of the first recipient of m (To, Cc,
// Delivered-To) that is a plus-address of team.
func PlusToken(m *Mail, team string) (string, bool) {
	for _, list := range [][]Address{m.To, m.Cc, m.DeliveredTo} {
		for _, a := range list {
			if token, ok := MatchTeamAddress(a.Email, team); ok && token != "" {
				return token, true
			}
		}
	}
	return "", false
}

// TicketReplyTo returns the plus-address Reply-To of a ticket: the team
// address with the token "T-<ref>", e.g. support+T-1042@example.com.
func TicketReplyTo(team, ref string) string {
	if !validRef.MatchString(ref) {
		return team
	}
	return PlusAddress(team, "T-"+ref)
}

// ThreadRef returns the ticket number or id m refers to: the "[#T-<ref>]" in its
// subject, else the "T-<ref>" plus token of a recipient that is a plus-address of team.
func ThreadRef(m *Mail, team string) (string, bool) {
	if ref, ok := ExtractTicketRef(m.Subject); ok {
		return ref, true
	}
	token, ok := PlusToken(m, team)
	if !ok || len(token) < 3 || !strings.EqualFold(token[:2], "T-") || !validRef.MatchString(token[2:]) {
		return "", false
	}
	return token[2:], true
}
