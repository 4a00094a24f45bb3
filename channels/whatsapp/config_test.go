package whatsapp

import (
	"testing"

	"github.com/routedesk/routedesk/channels/channeltest"
)

func TestDecodeWhatsApp(t *testing.T) {
	channeltest.RunDecodeCases(t, New(nil), []channeltest.DecodeCase{
		{Name: "minimal", Raw: `{"phone_number_id":"106540352242922","access_token":"EAAG","app_secret":"s"}`},
		{Name: "full", Raw: `{"phone_number_id":"106540352242922","access_token":"EAAG","app_secret":"s","verify_token":"v","business_phone":"+14155550123"}`},
		{Name: "empty", Raw: `{}`, Errs: map[string]string{
			"config.phone_number_id": "is required", "config.access_token": "is required", "config.app_secret": "is required"}},
		{Name: "id not digits", Raw: `{"phone_number_id":"1065x","access_token":"t","app_secret":"s"}`,
			Errs: map[string]string{"config.phone_number_id": "only digits"}},
		{Name: "phone without plus", Raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","business_phone":"14155550123"}`,
			Errs: map[string]string{"config.business_phone": "E.164"}},
		{Name: "phone with spaces", Raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","business_phone":"+1 415 555 0123"}`,
			Errs: map[string]string{"config.business_phone": "E.164"}},
		{Name: "phone too long", Raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","business_phone":"+1234567890123456"}`,
			Errs: map[string]string{"config.business_phone": "E.164"}},
		{Name: "phone leading zero", Raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","business_phone":"+0415555"}`,
			Errs: map[string]string{"config.business_phone": "E.164"}},
		{Name: "unknown field", Raw: `{"phone_number_id":"1","access_token":"t","app_secret":"s","waba_id":"2"}`,
			Errs: map[string]string{"config.waba_id": "not a known field"}},
	})
}
