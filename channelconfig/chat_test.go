package channelconfig

import "testing"

func TestDecodeChat(t *testing.T) {
	runDecodeCases(t, TypeChat, []decodeCase{
		{name: "empty", raw: ``},
		{name: "null", raw: `null`},
		{name: "empty object", raw: `{}`},
		{name: "full", raw: `{"accent_color":"#1F6feb","font":"Open Sans","availability":{"mode":"business_hours","timezone":"Europe/Berlin","hours":"Mon-Fri 09:00-17:00; Sat 10:00-14:00"}}`},
		{name: "always without hours", raw: `{"availability":{"mode":"always"}}`},
		{name: "away", raw: `{"availability":{"mode":"away","timezone":"UTC"}}`},
		{name: "short color", raw: `{"accent_color":"#fff"}`, errs: map[string]string{"config.accent_color": "#rrggbb"}},
		{name: "color without hash", raw: `{"accent_color":"1f6feb"}`, errs: map[string]string{"config.accent_color": "#rrggbb"}},
		{name: "color not hex", raw: `{"accent_color":"#1f6fez"}`, errs: map[string]string{"config.accent_color": "#rrggbb"}},
		{name: "color name", raw: `{"accent_color":"red"}`, errs: map[string]string{"config.accent_color": "#rrggbb"}},
		{name: "font too long", raw: `{"font":"` + repeat("a", 65) + `"}`,
			errs: map[string]string{"config.font": "at most 64 characters"}},
		{name: "font with newline", raw: `{"font":"Arial\nx"}`, errs: map[string]string{"config.font": "one line"}},
		{name: "mode missing", raw: `{"availability":{"timezone":"UTC"}}`, errs: map[string]string{"config.availability.mode": "is required"}},
		{name: "bad mode", raw: `{"availability":{"mode":"sometimes"}}`,
			errs: map[string]string{"config.availability.mode": "one of: always, business_hours, away"}},
		{name: "business hours need hours", raw: `{"availability":{"mode":"business_hours","timezone":"UTC"}}`,
			errs: map[string]string{"config.availability.hours": "required when mode is business_hours"}},
		{name: "bad timezone", raw: `{"availability":{"mode":"always","timezone":"Mars/Olympus"}}`,
			errs: map[string]string{"config.availability.timezone": "IANA time zone"}},
		{name: "Local is not a timezone", raw: `{"availability":{"mode":"always","timezone":"Local"}}`,
			errs: map[string]string{"config.availability.timezone": "IANA time zone"}},
		{name: "bad hours", raw: `{"availability":{"mode":"business_hours","hours":"weekdays 9-5"}}`,
			errs: map[string]string{"config.availability.hours": "not a day"}},
		{name: "hours reversed", raw: `{"availability":{"mode":"business_hours","hours":"Mon-Fri 17:00-09:00"}}`,
			errs: map[string]string{"config.availability.hours": "must end after it starts"}},
		{name: "hours with commas", raw: `{"availability":{"mode":"business_hours","hours":"Mon-Fri 09:00-12:00 13:00-17:00, Sat-Sun 10:00-14:00,"}}`},
		{name: "hours with a day list", raw: `{"availability":{"mode":"business_hours","hours":"Sat,Sun 10:00-14:00"}}`,
			errs: map[string]string{"config.availability.hours": "several days as a range such as \"Sat-Sun\""}},
		{name: "hours with only separators", raw: `{"availability":{"mode":"business_hours","hours":"; ,"}}`,
			errs: map[string]string{"config.availability.hours": "has no entries"}},
		{name: "unknown nested field", raw: `{"availability":{"mode":"always","holidays":[]}}`,
			errs: map[string]string{"config.availability.holidays": "not a known field"}},
		{name: "availability as string", raw: `{"availability":"always"}`,
			errs: map[string]string{"config.availability": "must be an object, not a string"}},
	})
}
