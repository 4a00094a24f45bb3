package channelconfig

import "testing"

func TestDecodeMessenger(t *testing.T) {
	runDecodeCases(t, TypeMessenger, []decodeCase{
		{name: "minimal", raw: `{"page_id":"1234567890","page_access_token":"EAAB123","app_secret":"s3cr3t"}`},
		{name: "full", raw: `{"page_id":"1234567890","page_access_token":"EAAB123","app_secret":"s3cr3t","verify_token":"vt",
			"greeting":"Hi!","instant_reply":"We'll be right with you.","gdpr":{"enabled":true,"consent":"implicit","text":"We store this chat."}}`},
		{name: "gdpr disabled without text", raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":false}}`},
		{name: "empty", raw: `{}`, errs: map[string]string{
			"config.page_id": "is required", "config.page_access_token": "is required", "config.app_secret": "is required"}},
		{name: "null", raw: `null`, errs: map[string]string{
			"config.page_id": "is required", "config.page_access_token": "is required", "config.app_secret": "is required"}},
		{name: "page id not digits", raw: `{"page_id":"acme-page","page_access_token":"t","app_secret":"s"}`,
			errs: map[string]string{"config.page_id": "only digits"}},
		{name: "page id negative", raw: `{"page_id":"-12","page_access_token":"t","app_secret":"s"}`,
			errs: map[string]string{"config.page_id": "only digits"}},
		{name: "page id as number", raw: `{"page_id":1234567890,"page_access_token":"t","app_secret":"s"}`,
			errs: map[string]string{"config.page_id": "must be a string, not a number"}},
		{name: "token with stray space", raw: `{"page_id":"1","page_access_token":"EAAB123 ","app_secret":"s"}`,
			errs: map[string]string{"config.page_access_token": "must not contain spaces"}},
		{name: "greeting too long", raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","greeting":"` + repeat("é", 1001) + `"}`,
			errs: map[string]string{"config.greeting": "at most 1000 characters"}},
		{name: "greeting at limit", raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","greeting":"` + repeat("é", 1000) + `"}`},
		{name: "instant reply too long", raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","instant_reply":"` + repeat("a", 1001) + `"}`,
			errs: map[string]string{"config.instant_reply": "at most 1000 characters"}},
		{name: "gdpr text required", raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":true}}`,
			errs: map[string]string{"config.gdpr.text": "required when gdpr.enabled is true"}},
		{name: "gdpr bad consent", raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":true,"consent":"maybe","text":"x"}}`,
			errs: map[string]string{"config.gdpr.consent": "one of: explicit, implicit"}},
		{name: "gdpr enabled as string", raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","gdpr":{"enabled":"true"}}`,
			errs: map[string]string{"config.gdpr.enabled": "true or false"}},
		{name: "unknown field", raw: `{"page_id":"1","page_access_token":"t","app_secret":"s","page_name":"Acme"}`,
			errs: map[string]string{"config.page_name": "not a known field"}},
		{name: "placeholder secrets", raw: `{"page_id":"1","page_access_token":"***","app_secret":"***"}`,
			errs: map[string]string{"config.page_access_token": "placeholder", "config.app_secret": "placeholder"}},
	})
}

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}
