package domain

import "testing"

func TestRedactPatterns(t *testing.T) {
	for _, c := range []struct {
		in, want string
		changed  bool
	}{
		{"card 4111 1111 1111 1111 please", "card " + RedactedCard + " please", true},
		{"card 4111-1111-1111-1111.", "card " + RedactedCard + ".", true},
		{"amex 378282246310005", "amex " + RedactedCard, true},
		{"not luhn 4111 1111 1111 1112", "not luhn 4111 1111 1111 1112", false},
		{"order 1234567890123", "order 1234567890123", false},
		{"pnr 811218-9876 ok", "pnr " + RedactedNationalID + " ok", true},
		{"pnr 198112189876", "pnr " + RedactedNationalID, true},
		{"coordination 701063-2391", "coordination " + RedactedNationalID, true},
		{"bad check 811218-9875", "bad check 811218-9875", false},
		{"bad date 811318-9876", "bad date 811318-9876", false},
		{"phone 070-1234567", "phone 070-1234567", false},
	} {
		got, changed := RedactPatterns(c.in)
		if got != c.want || changed != c.changed {
			t.Errorf("RedactPatterns(%q) = %q, %v; want %q, %v", c.in, got, changed, c.want, c.changed)
		}
	}
}
