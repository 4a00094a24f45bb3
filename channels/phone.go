package channels

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrPhone means a phone number cannot be read as a possible international number.
var ErrPhone = errors.New("must be a phone number in international form, e.g. +14155550123")

// NormalizePhone returns raw in E.164 form (+14155550123): raw is international ("+1 415-555-0123",
// "00 46 70 123 45 67"), or national in region (an ISO 3166 code, "" for none).
func NormalizePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 64 {
		return "", ErrPhone
	}
	if strings.HasPrefix(raw, "00") {
		raw = "+" + raw[2:]
	}
	num, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", ErrPhone
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// PhoneRegion returns the ISO 3166 region of an E.164 number ("" when unknown), to read national numbers of callers on that line.
func PhoneRegion(e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(num)
}
