package channelconfig

import "testing"

func TestDecodeCalling(t *testing.T) {
	runDecodeCases(t, TypeCalling, []decodeCase{
		{name: "valid", raw: `{"phone_number":"+442071838750"}`},
		{name: "shortest", raw: `{"phone_number":"+12"}`},
		{name: "longest", raw: `{"phone_number":"+123456789012345"}`},
		{name: "missing", raw: `{}`, errs: map[string]string{"config.phone_number": "is required"}},
		{name: "null", raw: `null`, errs: map[string]string{"config.phone_number": "is required"}},
		{name: "national format", raw: `{"phone_number":"020 7183 8750"}`, errs: map[string]string{"config.phone_number": "E.164"}},
		{name: "no plus", raw: `{"phone_number":"442071838750"}`, errs: map[string]string{"config.phone_number": "E.164"}},
		{name: "too long", raw: `{"phone_number":"+1234567890123456"}`, errs: map[string]string{"config.phone_number": "E.164"}},
		{name: "number type", raw: `{"phone_number":442071838750}`, errs: map[string]string{"config.phone_number": "must be a string"}},
		{name: "unknown field", raw: `{"phone_number":"+12","provider":"twilio"}`, errs: map[string]string{"config.provider": "not a known field"}},
	})
}
