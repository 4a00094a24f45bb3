package messenger

import (
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/channeltest"
)

func TestDecodeMessenger(t *testing.T) {
	channeltest.RunDecodeCases(t, New(nil, nil, nil), []channeltest.DecodeCase{
		{Name: "minimal", Raw: `{"page_id":"1234567890","page_access_token":"EAAB123","app_secret":"s3cr3t"}`},
		{Name: "full", Raw: `{"page_id":"1234567890","page_access_token":"EAAB123","app_secret":"s3cr3t","verify_token":"vt",
			"greeting":"Hi!","instant_reply":"We'll be right with you.","gdpr":{"enabled":true,"consent":"implicit","text":"We store this chat."}}`},
		{Name: "gdpr disabled without text", Raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":false}}`},
		{Name: "empty", Raw: `{}`, Errs: map[string]string{
			"config.page_id": "is required", "config.page_access_token": "is required", "config.app_secret": "is required"}},
		{Name: "null", Raw: `null`, Errs: map[string]string{
			"config.page_id": "is required", "config.page_access_token": "is required", "config.app_secret": "is required"}},
		{Name: "page id not digits", Raw: `{"page_id":"acme-page","page_access_token":"t","app_secret":"s"}`,
			Errs: map[string]string{"config.page_id": "only digits"}},
		{Name: "page id negative", Raw: `{"page_id":"-12","page_access_token":"t","app_secret":"s"}`,
			Errs: map[string]string{"config.page_id": "only digits"}},
		{Name: "page id as number", Raw: `{"page_id":1234567890,"page_access_token":"t","app_secret":"s"}`,
			Errs: map[string]string{"config.page_id": "must be a string, not a number"}},
		{Name: "token with stray space", Raw: `{"page_id":"1","page_access_token":"EAAB123 ","app_secret":"s"}`,
			Errs: map[string]string{"config.page_access_token": "must not contain spaces"}},
		{Name: "greeting too long", Raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","greeting":"` + strings.Repeat("é", 1001) + `"}`,
			Errs: map[string]string{"config.greeting": "at most 1000 characters"}},
		{Name: "greeting at limit", Raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","greeting":"` + strings.Repeat("é", 1000) + `"}`},
		{Name: "instant reply too long", Raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","instant_reply":"` + strings.Repeat("a", 1001) + `"}`,
			Errs: map[string]string{"config.instant_reply": "at most 1000 characters"}},
		{Name: "gdpr text required", Raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":true}}`,
			Errs: map[string]string{"config.gdpr.text": "required when gdpr.enabled is true"}},
		{Name: "gdpr bad consent", Raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":true,"consent":"maybe","text":"x"}}`,
			Errs: map[string]string{"config.gdpr.consent": "one of: explicit, implicit"}},
		{Name: "gdpr enabled as string", Raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":"true"}}`,
			Errs: map[string]string{"config.gdpr.enabled": "true or false"}},
		{Name: "unknown field", Raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","page_name":"Acme"}`,
			Errs: map[string]string{"config.page_name": "not a known field"}},
		{Name: "placeholder secrets", Raw: `{"page_id":"1","page_access_token":"***","app_secret":"***"}`,
			Errs: map[string]string{"config.page_access_token": "placeholder", "config.app_secret": "placeholder"}},
	})
}
