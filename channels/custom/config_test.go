package custom

import (
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/channeltest"
)

func TestDecodeCustom(t *testing.T) {
	channeltest.RunDecodeCases(t, New(nil), []channeltest.DecodeCase{
		{Name: "minimal", Raw: `{"app_name":"Shop bot"}`},
		{Name: "https", Raw: `{"app_name":"a","outbound_url":"https://hooks.example.com/routedesk?x=1","secret":"s"}`},
		{Name: "http localhost", Raw: `{"app_name":"a","outbound_url":"http://localhost:8080/hook"}`},
		{Name: "http 127.0.0.1", Raw: `{"app_name":"a","outbound_url":"http://127.0.0.1:9000/hook"}`},
		{Name: "http ipv6 loopback", Raw: `{"app_name":"a","outbound_url":"http://[::1]:9000/hook"}`},
		{Name: "missing app name", Raw: `{}`, Errs: map[string]string{"config.app_name": "is required"}},
		{Name: "http remote", Raw: `{"app_name":"a","outbound_url":"http://hooks.example.com/x"}`,
			Errs: map[string]string{"config.outbound_url": "https URL"}},
		{Name: "http localhost lookalike", Raw: `{"app_name":"a","outbound_url":"http://localhost.evil.com/x"}`,
			Errs: map[string]string{"config.outbound_url": "https URL"}},
		{Name: "ftp", Raw: `{"app_name":"a","outbound_url":"ftp://example.com/x"}`,
			Errs: map[string]string{"config.outbound_url": "https URL"}},
		{Name: "relative", Raw: `{"app_name":"a","outbound_url":"/hook"}`,
			Errs: map[string]string{"config.outbound_url": "https URL"}},
		{Name: "no host", Raw: `{"app_name":"a","outbound_url":"https:///hook"}`,
			Errs: map[string]string{"config.outbound_url": "https URL"}},
		{Name: "credentials in url", Raw: `{"app_name":"a","outbound_url":"https://user:pass@example.com/hook"}`,
			Errs: map[string]string{"config.outbound_url": "without credentials"}},
		{Name: "cloud metadata", Raw: `{"app_name":"a","outbound_url":"https://169.254.169.254/latest/meta-data"}`,
			Errs: map[string]string{"config.outbound_url": "internal addresses"}},
		{Name: "private network", Raw: `{"app_name":"a","outbound_url":"https://10.0.0.1:8443/hook"}`,
			Errs: map[string]string{"config.outbound_url": "internal addresses"}},
		{Name: "app name too long", Raw: `{"app_name":"` + strings.Repeat("a", 101) + `"}`,
			Errs: map[string]string{"config.app_name": "at most 100 characters"}},
		{Name: "secret as number", Raw: `{"app_name":"a","secret":12}`,
			Errs: map[string]string{"config.secret": "must be a string"}},
	})
}
