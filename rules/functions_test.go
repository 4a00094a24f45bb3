package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHelpers(t *testing.T) {
	env := sampleEnv()
	tests := []struct {
		name string
		when string
		want bool
		err  string // substring of a runtime error
	}{
		{"domain lower-cases", `domain(message.from) == "bigcorp.se"`, true, ""},
		{"domain after last @", `domain("a@b@Example.org") == "example.org"`, true, ""},
		{"domain without @", `domain("nobody") == ""`, true, ""},
		{"domain of angle address", `domain("Bob <bob@X.io>") == "x.io"`, true, ""},
		{"matches function", `matches(ticket.subject, "(?i)^refund")`, true, ""},
		{"matches no match", `matches(ticket.subject, "^invoice")`, false, ""},
		{"not matches function", `not matches(ticket.subject, "^invoice")`, true, ""},
		{"matches operator", `ticket.subject matches "order [0-9]+"`, true, ""},
		{"binary not matches with parens", `ticket.subject not matches("^x")`, true, ""},
		{"matches in pipe", `message.from | matches("@")`, true, ""},
		{"matches in ternary", `true ? matches("ab", "b") : false`, true, ""},
		{"matches computed regex", `matches(message.text, "(?i)" + "refund")`, true, ""},
		{"matches bad computed regex", `matches(message.text, ticket.subject + "(")`, false, "invalid regular expression"},
		{"contains_any case-insensitive", `contains_any(message.text, ["REFUND", "chargeback"])`, true, ""},
		{"contains_any none", `contains_any(message.text, ["invoice", "quote"])`, false, ""},
		{"contains_any ignores empty entries", `contains_any(message.text, ["", "zzz"])`, false, ""},
		{"contains_any string list", `contains_any("a b c", split("x,B", ","))`, true, ""},
		{"in_business_hours inside", `in_business_hours(now, "Mon-Fri 09:00-17:00", "Europe/Stockholm")`, true, ""},
		{"in_business_hours other zone", `in_business_hours(now, "Mon-Fri 09:00-17:00", "America/New_York")`, false, ""},
		{"in_business_hours keeps own zone", `in_business_hours(now, "Mon 09:30-09:31", "")`, true, ""},
		{"in_business_hours weekend entry", `in_business_hours(now, "Sat-Sun 00:00-24:00", "UTC")`, false, ""},
		{"in_business_hours computed bad spec", `in_business_hours(now, ticket.status, "UTC")`, false, "business hours"},
		{"lower builtin", `lower(ticket.subject) contains "refund"`, true, ""},
		{"upper builtin", `upper(contact.country) == "SE"`, true, ""},
		{"hidden form field", `message.hidden.plan == "enterprise"`, true, ""},
		{"missing hidden field is empty", `message.hidden.nope == ""`, true, ""},
		{"contact property", `contact.properties.vip == true`, true, ""},
		{"now is a time", `now.Weekday().String() == "Monday"`, true, ""},
		{"nil access is a runtime error", `ticket.properties.missing.deeper == 1`, false, "cannot fetch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := evalWhen(t, tt.when, env)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, out)
		})
	}
}

// TestBusinessHoursSpec checks the rules side of in_business_hours: zone
// conversion and error wrapping; the grammar is tested in package domain.
func TestBusinessHoursSpec(t *testing.T) {
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	require.NoError(t, err)
	at := func(day, hh, mm int) time.Time { // March 2025: the 3rd is a Monday
		return time.Date(2025, 3, day, hh, mm, 0, 0, stockholm)
	}
	spec := "Mon-Fri 09:00-12:00 13:00-17:00, Sat 10:00-14:00"
	tests := []struct {
		name string
		spec string
		tz   string
		now  time.Time
		want bool
		err  string
	}{
		{"Monday morning", spec, "Europe/Stockholm", at(3, 9, 0), true, ""},
		{"lunch break", spec, "Europe/Stockholm", at(3, 12, 30), false, ""},
		{"Saturday", spec, "Europe/Stockholm", at(8, 11, 0), true, ""},
		{"semicolon separator", "Mon-Fri 09:00-12:00 13:00-17:00; Sat 10:00-14:00", "Europe/Stockholm", at(8, 11, 0), true, ""},
		{"converted to tz", spec, "UTC", at(3, 10, 0), true, ""},          // 09:00 UTC
		{"converted to tz, closed", spec, "UTC", at(3, 9, 59), false, ""}, // 08:59 UTC
		{"empty tz keeps now's zone", "Mon 09:00-09:01", "", at(3, 9, 0), true, ""},
		{"empty", "", "UTC", at(3, 9, 0), false, "business hours: has no entries"},
		{"bad day", "Mon-Fry 09:00-17:00", "UTC", at(3, 9, 0), false, `business hours: "Fry" is not a day`},
		{"day list", "Sat,Sun 10:00-14:00", "UTC", at(3, 9, 0), false, `business hours: entry "Sat" has no time range`},
		{"backwards", "Mon 17:00-09:00", "UTC", at(3, 9, 0), false, "must end after it starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inBusinessHours(tt.now, tt.spec, tt.tz)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err = inBusinessHours(at(3, 9, 0), spec, "Mars/Olympus")
	assert.ErrorContains(t, err, "unknown time zone")
	_, err = inBusinessHours(at(3, 9, 0), spec, "Local")
	assert.ErrorContains(t, err, "not allowed")
}

func TestRegexCacheIsBoundedAndConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				re, err := compileRegex(fmt.Sprintf("^x%d-%d$", g, i))
				if assert.NoError(t, err) {
					assert.True(t, re.MatchString(fmt.Sprintf("x%d-%d", g, i)))
				}
			}
		}()
	}
	wg.Wait()
	regexCache.mu.RLock()
	cached := len(regexCache.m)
	regexCache.mu.RUnlock()
	assert.LessOrEqual(t, cached, 1024)

	a, err := compileRegex("^cached$")
	require.NoError(t, err)
	b, err := compileRegex("^cached$")
	require.NoError(t, err)
	assert.Same(t, a, b, "a regex is compiled once")

	_, err = compileRegex(string(make([]byte, MaxRegexBytes+1)))
	assert.ErrorIs(t, err, ErrLimit)
}

func TestContainsAnyMatchesToLowerSemantics(t *testing.T) {
	reference := func(s string, items []string) bool {
		lower := strings.ToLower(s)
		for _, item := range items {
			if item != "" && strings.Contains(lower, strings.ToLower(item)) {
				return true
			}
		}
		return false
	}
	texts := []string{"", "Refund please", "REFUND", "I want a reFUNd!", "Återbetalning tack", "ÅTERBETALNING", "İstanbul", "straße", "x", "[at]@{z}`"}
	items := [][]string{nil, {""}, {"refund"}, {"FUND"}, {"återbetalning"}, {"ÅTER", "zzz"}, {"i̇stanbul"}, {"STRASSE"}, {"@", "["}, {"`"}, {"{Z}"}, {"refund please!"}}
	for _, s := range texts {
		for _, list := range items {
			assert.Equal(t, reference(s, list), containsAny(s, list), "contains_any(%q, %q)", s, list)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("aAbBzZ@[`{ ")
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 2000 {
		s, list := word(r.IntN(12)), []string{word(r.IntN(4)), word(r.IntN(3))}
		require.Equal(t, reference(s, list), containsAny(s, list), "contains_any(%q, %q)", s, list)
	}
}

// TestIsASCIIEveryPosition puts one non-ASCII byte at every position of
// strings of every length up to 20, across the eight-byte steps of isASCII.
func TestIsASCIIEveryPosition(t *testing.T) {
	for n := range 21 {
		b := []byte(strings.Repeat("a~", n)[:n])
		require.True(t, isASCII(string(b)), "length %d", n)
		for i := range b {
			for _, c := range []byte{0x80, 0xC3, 0xFF} {
				saved := b[i]
				b[i] = c
				require.False(t, isASCII(string(b)), "length %d, byte %#x at %d", n, c, i)
				b[i] = saved
			}
		}
	}
}
