package calling

import (
	"testing"

	"github.com/routedesk/routedesk/channels/channeltest"
)

func TestDecodeCalling(t *testing.T) {
	channeltest.RunDecodeCases(t, New(), []channeltest.DecodeCase{
		{Name: "valid", Raw: `{"phone_number":"+442071838750"}`},
		{Name: "shortest", Raw: `{"phone_number":"+12"}`},
		{Name: "longest", Raw: `{"phone_number":"+123456789012345"}`},
		{Name: "missing", Raw: `{}`, Errs: map[string]string{"config.phone_number": "is required"}},
		{Name: "null", Raw: `null`, Errs: map[string]string{"config.phone_number": "is required"}},
		{Name: "national format", Raw: `{"phone_number":"020 7183 8750"}`, Errs: map[string]string{"config.phone_number": "E.164"}},
		{Name: "no plus", Raw: `{"phone_number":"442071838750"}`, Errs: map[string]string{"config.phone_number": "E.164"}},
		{Name: "too long", Raw: `{"phone_number":"+1234567890123456"}`, Errs: map[string]string{"config.phone_number": "E.164"}},
		{Name: "number type", Raw: `{"phone_number":442071838750}`, Errs: map[string]string{"config.phone_number": "must be a string"}},
		{Name: "unknown field", Raw: `{"phone_number":"+12","provider":"twilio"}`, Errs: map[string]string{"config.provider": "not a known field"}},
	})
}
