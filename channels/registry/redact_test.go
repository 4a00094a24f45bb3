package registry

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels"
)

// fullConfigs has, per type, a valid configuration with every secret set to a value containing "SECRET".
var fullConfigs = map[Type]string{
	TypeEmail: `{"address":"support@example.com","provider":"gmail","company_name":"Acme","signature":{"format":"text","body":"{{full_name}}"},
		"smtp":{"host":"smtp.example.com","port":587,"username":"mailer","password":"SECRET-smtp-pw"},
		"imap":{"host":"imap.example.com","username":"support@example.com","password":"SECRET-imap-pw"}}`,
	TypeChat: `{"accent_color":"#112233","font":"Inter","availability":{"mode":"business_hours","timezone":"America/New_York","hours":"Mon-Fri 09:00-17:00"},
		"allowed_origins":["https://shop.example.com"],"identity_secret":"SECRET-chat-identity","greeting":"Hi","away_message":"Away"}`,
	TypeMessenger: `{"page_id":"1234567890","page_access_token":"SECRET-page-token","app_secret":"SECRET-app","verify_token":"SECRET-verify",
		"greeting":"Hello","instant_reply":"Thanks","gdpr":{"enabled":true,"consent":"explicit","text":"We store chats."}}`,
	TypeForm: `{"form_id":"contact","fields":[{"name":"email","label":"Email","type":"email","required":true}]}`,
	TypeWhatsApp: `{"phone_number_id":"106540352242922","access_token":"SECRET-wa-token","app_secret":"SECRET-wa-app",
		"verify_token":"SECRET-wa-verify","business_phone":"+14155550123"}`,
	TypeCalling: `{"phone_number":"+14155550123"}`,
	TypeCustom:  `{"app_name":"Shop","outbound_url":"https://shop.example.com/hook","secret":"SECRET-custom"}`,
}

func TestFullConfigsCoverEveryType(t *testing.T) {
	for _, typ := range Types() {
		require.Contains(t, fullConfigs, typ)
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	for _, typ := range Types() {
		t.Run(string(typ), func(t *testing.T) {
			cfg := mustDecode(t, typ, fullConfigs[typ])
			red := Redacted(cfg)
			require.NotContains(t, string(red), "SECRET")
			require.True(t, json.Valid(red))

			var generic map[string]any
			require.NoError(t, json.Unmarshal(red, &generic))
			for _, path := range channels.SecretPaths(cfg) {
				require.Equal(t, Placeholder, lookup(generic, strings.Split(path, ".")), "secret %v", path)
			}

			// The original keeps its secrets.
			full, err := json.Marshal(cfg)
			require.NoError(t, err)
			require.Equal(t, strings.Count(fullConfigs[typ], "SECRET"), strings.Count(string(full), "SECRET"))
		})
	}
}

func TestRedactedKeepsOtherFields(t *testing.T) {
	red := Redacted(mustDecode(t, TypeEmail, fullConfigs[TypeEmail]))
	require.JSONEq(t, `{"address":"support@example.com","provider":"gmail","company_name":"Acme",
		"signature":{"format":"text","body":"{{full_name}}"},"original_sender_for_forwards":true,
		"smtp":{"host":"smtp.example.com","port":587,"username":"mailer","password":"***"},
		"imap":{"host":"imap.example.com","username":"support@example.com","password":"***"}}`, string(red))
}

func TestRedactedOmitsUnsetSecrets(t *testing.T) {
	red := Redacted(mustDecode(t, TypeCustom, `{"app_name":"a"}`))
	require.JSONEq(t, `{"app_name":"a"}`, string(red))
	red = Redacted(mustDecode(t, TypeEmail, `{"address":"a@example.com","smtp":{"host":"h","port":25}}`))
	require.NotContains(t, string(red), "password")
	red = Redacted(mustDecode(t, TypeMessenger, `{"page_id":"1","page_access_token":"xyzzy","app_secret":"plugh"}`))
	require.NotContains(t, string(red), "verify_token")
	require.NotContains(t, string(red), "xyzzy")
	require.NotContains(t, string(red), "plugh")
	require.Equal(t, `{}`, string(Redacted(nil)))
}

// lookup follows path through nested objects of obj; nil when a step is missing.
func lookup(obj map[string]any, path []string) any {
	var v any = obj
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}
