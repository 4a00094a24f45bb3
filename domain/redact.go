package domain

import (
	"regexp"
	"strings"
	"time"
)

// Markers that replace what automatic redaction finds.
const (
	RedactedCard       = "[redacted card number]"
	RedactedNationalID = "[redacted national id]"
)

var (
	// cardPattern is 13 to 19 digits, optionally grouped by single spaces or dashes.
	cardPattern = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)
	// personnummerPattern is a Swedish personnummer: YYMMDD-NNNN (or +), or YYYYMMDD[-]NNNN.
	personnummerPattern = regexp.MustCompile(`\b(?:(?:18|19|20)\d{6}-?\d{4}|\d{6}[-+]\d{4})\b`)
)

// RedactPatterns replaces payment card numbers that pass the Luhn check and Swedish personnummer
// (valid date, or coordination number day+60, and check digit) in s with markers; it reports whether it did.
func RedactPatterns(s string) (string, bool) {
	changed := false
	s = personnummerPattern.ReplaceAllStringFunc(s, func(m string) string {
		if validPersonnummer(m) {
			changed = true
			return RedactedNationalID
		}
		return m
	})
	s = cardPattern.ReplaceAllStringFunc(s, func(m string) string {
		if luhn(digits(m)) {
			changed = true
			return RedactedCard
		}
		return m
	})
	return s, changed
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// luhn reports whether the digit string d passes the Luhn (mod 10) check.
func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return len(d) > 0 && sum%10 == 0
}

// validPersonnummer checks a personnummer's date (a coordination number adds 60 to the day) and check digit.
func validPersonnummer(m string) bool {
	d := digits(m)
	if len(d) == 12 {
		d = d[2:]
	}
	if len(d) != 10 {
		return false
	}
	month := int(d[2]-'0')*10 + int(d[3]-'0')
	day := int(d[4]-'0')*10 + int(d[5]-'0')
	if day > 60 {
		day -= 60
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return false
	}
	if t := time.Date(2000, time.Month(month), day, 0, 0, 0, 0, time.UTC); t.Day() != day && !(month == 2 && day == 29) {
		return false
	}
	return luhn(d)
}
