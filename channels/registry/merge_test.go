package registry

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/messenger"
)

// stored returns the full JSON of a decoded config, as the store keeps it.
func stored(t *testing.T, typ Type, raw string) json.RawMessage {
	t.Helper()
	full, err := json.Marshal(mustDecode(t, typ, raw))
	require.NoError(t, err)
	return full
}

func TestMergeKeepsSecretsOnPlaceholder(t *testing.T) {
	current := stored(t, TypeMessenger, fullConfigs[TypeMessenger])
	cfg, err := Merge(TypeMessenger, current, json.RawMessage(`{"page_access_token":"***","app_secret":"***","greeting":"Hi there"}`))
	require.NoError(t, err)
	m := cfg.(*messenger.Config)
	require.Equal(t, "SECRET-page-token", m.PageAccessToken)
	require.Equal(t, "SECRET-app", m.AppSecret)
	require.Equal(t, "SECRET-verify", m.VerifyToken)
	require.Equal(t, "Hi there", m.Greeting)
}

func TestMergeRedactedRoundTrip(t *testing.T) {
	// Sending back exactly what GET showed changes nothing.
	for _, typ := range Types() {
		t.Run(string(typ), func(t *testing.T) {
			original := mustDecode(t, typ, fullConfigs[typ])
			current, err := json.Marshal(original)
			require.NoError(t, err)
			cfg, err := Merge(typ, current, Redacted(original))
			require.NoError(t, err)
			require.Equal(t, original, cfg)
		})
	}
}

func TestMergeReplacesSecrets(t *testing.T) {
	current := stored(t, TypeEmail, fullConfigs[TypeEmail])
	cfg, err := Merge(TypeEmail, current, json.RawMessage(`{"smtp":{"password":"new-pw"}}`))
	require.NoError(t, err)
	e := cfg.(*Email)
	require.Equal(t, "new-pw", e.SMTP.Password)
	require.Equal(t, "smtp.example.com", e.SMTP.Host, "merge keeps sibling fields")
	require.Equal(t, 587, e.SMTP.Port)

	cfg, err = Merge(TypeEmail, current, json.RawMessage(`{"smtp":{"password":"***","port":2525}}`))
	require.NoError(t, err)
	require.Equal(t, "SECRET-smtp-pw", cfg.(*Email).SMTP.Password)
	require.Equal(t, 2525, cfg.(*Email).SMTP.Port)
}

func TestMergeRemovesWithNull(t *testing.T) {
	current := stored(t, TypeCustom, fullConfigs[TypeCustom])
	cfg, err := Merge(TypeCustom, current, json.RawMessage(`{"secret":null,"outbound_url":null}`))
	require.NoError(t, err)
	require.Equal(t, &Custom{AppName: "Shop"}, cfg)

	current = stored(t, TypeEmail, fullConfigs[TypeEmail])
	cfg, err = Merge(TypeEmail, current, json.RawMessage(`{"smtp":null,"signature":null}`))
	require.NoError(t, err)
	require.Nil(t, cfg.(*Email).SMTP)
	require.Nil(t, cfg.(*Email).Signature)
}

func TestMergeRevalidates(t *testing.T) {
	current := stored(t, TypeEmail, fullConfigs[TypeEmail])
	_, err := Merge(TypeEmail, current, json.RawMessage(`{"provider":"office365","from_name_mode":"company"}`))
	require.Contains(t, fieldErrors(t, err)["config.from_name_mode"], "office365")

	_, err = Merge(TypeEmail, current, json.RawMessage(`{"smtp":{"port":0}}`))
	require.Contains(t, fieldErrors(t, err), "config.smtp.port")

	_, err = Merge(TypeEmail, current, json.RawMessage(`{"smtp":{"tls":true}}`))
	require.Contains(t, fieldErrors(t, err), "config.smtp.tls")

	messengerCfg := stored(t, TypeMessenger, fullConfigs[TypeMessenger])
	_, err = Merge(TypeMessenger, messengerCfg, json.RawMessage(`{"app_secret":null}`))
	require.Equal(t, "is required", fieldErrors(t, err)["config.app_secret"])
	_, err = Merge(TypeMessenger, messengerCfg, json.RawMessage(`{"gdpr":{"text":null}}`))
	require.Contains(t, fieldErrors(t, err), "config.gdpr.text")
}

func TestMergePlaceholderWithoutCurrentSecret(t *testing.T) {
	current := stored(t, TypeCustom, `{"app_name":"a"}`)
	cfg, err := Merge(TypeCustom, current, json.RawMessage(`{"secret":"***"}`))
	require.NoError(t, err)
	require.Equal(t, "", cfg.(*Custom).Secret)

	// A required secret that was never stored stays missing.
	_, err = Merge(TypeMessenger, nil, json.RawMessage(`{"page_id":"1","page_access_token":"***","app_secret":"s"}`))
	require.Equal(t, "is required", fieldErrors(t, err)["config.page_access_token"])
}

func TestMergeEmptyPatch(t *testing.T) {
	current := stored(t, TypeWhatsApp, fullConfigs[TypeWhatsApp])
	for _, patch := range []string{``, `null`, `{}`} {
		cfg, err := Merge(TypeWhatsApp, current, json.RawMessage(patch))
		require.NoError(t, err, patch)
		require.Equal(t, mustDecode(t, TypeWhatsApp, fullConfigs[TypeWhatsApp]), cfg)
	}
}

func TestMergeBadPatch(t *testing.T) {
	current := stored(t, TypeCalling, fullConfigs[TypeCalling])
	for _, patch := range []string{`[1]`, `"x"`, `{"phone_number":`} {
		_, err := Merge(TypeCalling, current, json.RawMessage(patch))
		require.Contains(t, fieldErrors(t, err), "config", patch)
	}
	_, err := Merge(TypeCalling, current, json.RawMessage(`{"phone_number":"0800"}`))
	require.Contains(t, fieldErrors(t, err)["config.phone_number"], "E.164")
}

func TestMergeCorruptCurrent(t *testing.T) {
	_, err := Merge(TypeCalling, json.RawMessage(`{not json`), json.RawMessage(`{}`))
	require.Error(t, err)
	require.Contains(t, err.Error(), "stored config")
}
