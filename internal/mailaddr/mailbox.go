// Package mailaddr owns how routedesk compares email addresses: the mailbox an
// address reaches, so one mailbox is claimed by one channel however it is spelled.
package mailaddr

import "strings"

// gmailDomains deliver every spelling of a local part (dots, +tags) to one mailbox.
var gmailDomains = map[string]bool{"gmail.com": true, "googlemail.com": true}

// Mailbox returns the claim key of an address: ASCII letters lower-cased, a
// "+tag" cut from the local part (every major provider delivers local+tag to
// local), and for gmail.com/googlemail.com the dots dropped and the domain
// made gmail.com. The SQL function routedesk_mailbox (migration 00080) does the same.
func Mailbox(address string) string {
	a := lowerASCII(address)
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a
	}
	local, dom := a[:at], a[at+1:]
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	if gmailDomains[dom] {
		local, dom = strings.ReplaceAll(local, ".", ""), "gmail.com"
	}
	return local + "@" + dom
}

// lowerASCII lower-cases A-Z only: PostgreSQL's lower() depends on the database's
// collation for other letters, translate() with A-Z does not.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
