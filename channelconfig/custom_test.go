package channelconfig

import "testing"

func TestDecodeCustom(t *testing.T) {
	runDecodeCases(t, TypeCustom, []decodeCase{
		{name: "minimal", raw: `{"app_name":"Shop bot"}`},
		{name: "https", raw: `{"app_name":"a","outbound_url":"https://hooks.example.com/routedesk?x=1","secret":"s"}`},
		{name: "http localhost", raw: `{"app_name":"a","outbound_url":"http://localhost:8080/hook"}`},
		{name: "http 127.0.0.1", raw: `{"app_name":"a","outbound_url":"http://127.0.0.1:9000/hook"}`},
		{name: "http ipv6 loopback", raw: `{"app_name":"a","outbound_url":"http://[::1]:9000/hook"}`},
		{name: "missing app name", raw: `{}`, errs: map[string]string{"config.app_name": "is required"}},
		{name: "http remote", raw: `{"app_name":"a","outbound_url":"http://hooks.example.com/x"}`,
			errs: map[string]string{"config.outbound_url": "https URL"}},
		{name: "http localhost lookalike", raw: `{"app_name":"a","outbound_url":"http://localhost.evil.com/x"}`,
			errs: map[string]string{"config.outbound_url": "https URL"}},
		{name: "ftp", raw: `{"app_name":"a","outbound_url":"ftp://example.com/x"}`,
			errs: map[string]string{"config.outbound_url": "https URL"}},
		{name: "relative", raw: `{"app_name":"a","outbound_url":"/hook"}`,
			errs: map[string]string{"config.outbound_url": "https URL"}},
		{name: "no host", raw: `{"app_name":"a","outbound_url":"https:///hook"}`,
			errs: map[string]string{"config.outbound_url": "https URL"}},
		{name: "credentials in url", raw: `{"app_name":"a","outbound_url":"https://user:pass@example.com/hook"}`,
			errs: map[string]string{"config.outbound_url": "without credentials"}},
		{name: "app name too long", raw: `{"app_name":"` + repeat("a", 101) + `"}`,
			errs: map[string]string{"config.app_name": "at most 100 characters"}},
		{name: "secret as number", raw: `{"app_name":"a","secret":12}`,
			errs: map[string]string{"config.secret": "must be a string"}},
	})
}
