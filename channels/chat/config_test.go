package chat

import (
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/channeltest"
)

func TestDecodeChat(t *testing.T) {
	channeltest.RunDecodeCases(t, New(nil), []channeltest.DecodeCase{
		{Name: "empty", Raw: ``},
		{Name: "null", Raw: `null`},
		{Name: "empty object", Raw: `{}`},
		{Name: "full", Raw: `{"accent_color":"#1F6feb","font":"Open Sans","availability":{"mode":"business_hours","timezone":"Europe/Berlin","hours":"Mon-Fri 09:00-17:00; Sat 10:00-14:00"}}`},
		{Name: "always without hours", Raw: `{"availability":{"mode":"always"}}`},
		{Name: "away", Raw: `{"availability":{"mode":"away","timezone":"UTC"}}`},
		{Name: "short color", Raw: `{"accent_color":"#fff"}`, Errs: map[string]string{"config.accent_color": "#rrggbb"}},
		{Name: "color without hash", Raw: `{"accent_color":"1f6feb"}`, Errs: map[string]string{"config.accent_color": "#rrggbb"}},
		{Name: "color not hex", Raw: `{"accent_color":"#1f6fez"}`, Errs: map[string]string{"config.accent_color": "#rrggbb"}},
		{Name: "color name", Raw: `{"accent_color":"red"}`, Errs: map[string]string{"config.accent_color": "#rrggbb"}},
		{Name: "font too long", Raw: `{"font":"` + strings.Repeat("a", 65) + `"}`,
			Errs: map[string]string{"config.font": "at most 64 characters"}},
		{Name: "font with newline", Raw: `{"font":"Arial\nx"}`, Errs: map[string]string{"config.font": "one line"}},
		{Name: "mode missing", Raw: `{"availability":{"timezone":"UTC"}}`, Errs: map[string]string{"config.availability.mode": "is required"}},
		{Name: "bad mode", Raw: `{"availability":{"mode":"sometimes"}}`,
			Errs: map[string]string{"config.availability.mode": "one of: always, business_hours, away"}},
		{Name: "business hours need hours", Raw: `{"availability":{"mode":"business_hours","timezone":"UTC"}}`,
			Errs: map[string]string{"config.availability.hours": "required when mode is business_hours"}},
		{Name: "bad timezone", Raw: `{"availability":{"mode":"always","timezone":"Mars/Olympus"}}`,
			Errs: map[string]string{"config.availability.timezone": "IANA time zone"}},
		{Name: "Local is not a timezone", Raw: `{"availability":{"mode":"always","timezone":"Local"}}`,
			Errs: map[string]string{"config.availability.timezone": "IANA time zone"}},
		{Name: "bad hours", Raw: `{"availability":{"mode":"business_hours","hours":"weekdays 9-5"}}`,
			Errs: map[string]string{"config.availability.hours": "not a day"}},
		{Name: "hours reversed", Raw: `{"availability":{"mode":"business_hours","hours":"Mon-Fri 17:00-09:00"}}`,
			Errs: map[string]string{"config.availability.hours": "must end after it starts"}},
		{Name: "hours with commas", Raw: `{"availability":{"mode":"business_hours","hours":"Mon-Fri 09:00-12:00 13:00-17:00, Sat-Sun 10:00-14:00,"}}`},
		{Name: "hours with a day list", Raw: `{"availability":{"mode":"business_hours","hours":"Sat,Sun 10:00-14:00"}}`,
			Errs: map[string]string{"config.availability.hours": "several days as a range such as \"Sat-Sun\""}},
		{Name: "hours with only separators", Raw: `{"availability":{"mode":"business_hours","hours":"; ,"}}`,
			Errs: map[string]string{"config.availability.hours": "has no entries"}},
		{Name: "unknown nested field", Raw: `{"availability":{"mode":"always","holidays":[]}}`,
			Errs: map[string]string{"config.availability.holidays": "not a known field"}},
		{Name: "widget fields", Raw: `{"allowed_origins":["https://shop.example.com","http://localhost:3000","http://127.0.0.1:8081"],
			"identity_secret":"s3cret","greeting":"Hi!","away_message":"Back at 9"}`},
		{Name: "origin with path", Raw: `{"allowed_origins":["https://shop.example.com/app"]}`,
			Errs: map[string]string{"config.allowed_origins[0]": "without a path"}},
		{Name: "plain http origin", Raw: `{"allowed_origins":["https://ok.example.com","http://shop.example.com"]}`,
			Errs: map[string]string{"config.allowed_origins[1]": "http only for localhost"}},
		{Name: "origin wildcard", Raw: `{"allowed_origins":["*"]}`, Errs: map[string]string{"config.allowed_origins[0]": "must be an origin"}},
		{Name: "origin upper case", Raw: `{"allowed_origins":["https://Shop.example.com"]}`, Errs: map[string]string{"config.allowed_origins[0]": "lower case"}},
		{Name: "identity secret with space", Raw: `{"identity_secret":"a b"}`, Errs: map[string]string{"config.identity_secret": "must not contain spaces"}},
		{Name: "greeting too long", Raw: `{"greeting":"` + strings.Repeat("a", 1001) + `"}`, Errs: map[string]string{"config.greeting": "at most 1000"}},
		{Name: "availability as string", Raw: `{"availability":"always"}`,
			Errs: map[string]string{"config.availability": "must be an object, not a string"}},
	})
}
