package channelconfig

import "testing"

func TestDecodeWhatsApp(t *testing.T) {
	runDecodeCases(t, TypeWhatsApp, []decodeCase{
		{name: "minimal", raw: `{"phone_number_id":"106540352242922","access_token":"EAAG","app_secret":"s"}`},
		{name: "full", raw: `{"phone_number_id":"106540352242922","access_token":"EAAG","app_secret":"s","verify_token":"v","business_phone":"+14155550123"}`},
		{name: "empty", raw: `{}`, errs: map[string]string{
			"config.phone_number_id": "is required", "config.access_token": "is required", "config.app_secret": "is required"}},
		{name: "id not digits", raw: `{"phone_number_id":"1065x","access_token":"t","app_secret":"s"}`,
			errs: map[string]string{"config.phone_number_id": "only digits"}},
		{name: "phone without plus", raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","business_phone":"14155550123"}`,
			errs: map[string]string{"config.business_phone": "E.164"}},
		{name: "phone with spaces", raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","business_phone":"+1 415 555 0123"}`,
			errs: map[string]string{"config.business_phone": "E.164"}},
		{name: "phone too long", raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","business_phone":"+1234567890123456"}`,
			errs: map[string]string{"config.business_phone": "E.164"}},
		{name: "phone leading zero", raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","business_phone":"+0415555"}`,
			errs: map[string]string{"config.business_phone": "E.164"}},
		{name: "unknown field", raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","waba_id":"2"}`,
			errs: map[string]string{"config.waba_id": "not a known field"}},
	})
}
