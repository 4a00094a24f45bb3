package registry

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels"
)

func TestLookup(t *testing.T) {
	for _, typ := range Types() {
		ch, ok := builtins.Lookup(typ)
		require.True(t, ok)
		require.Equal(t, typ, ch.Type())
		require.Equal(t, typ, ch.NewConfig().Type())
	}
	for _, s := range []string{"", "Email", "sms", " chat"} {
		_, ok := builtins.Lookup(Type(s))
		require.False(t, ok, s)
	}
	require.Equal(t, []Type{"email", "chat", "messenger", "form", "whatsapp", "calling", "custom"}, Types())
}

func TestDecodeUnknownType(t *testing.T) {
	_, err := Decode("sms", json.RawMessage(`{}`))
	require.Contains(t, fieldErrors(t, err)["type"], "unknown channel type")
	_, err = Merge("sms", nil, json.RawMessage(`{}`))
	require.Contains(t, fieldErrors(t, err)["type"], "unknown channel type")
}

// TierRequired returns the tier type typ's channel needs.
func TierRequired(typ Type) string {
	ch, _ := builtins.Lookup(typ)
	return ch.TierRequired()
}

// TierAllows reports whether tier may connect a channel of type typ.
func TierAllows(tier string, typ Type) bool { return channels.TierAllows(tier, TierRequired(typ)) }

func TestTiers(t *testing.T) {
	for _, typ := range []Type{TypeWhatsApp, TypeCalling, TypeCustom} {
		require.Equal(t, "professional", TierRequired(typ))
		require.False(t, TierAllows("starter", typ))
		require.True(t, TierAllows("professional", typ))
		require.True(t, TierAllows("enterprise", typ))
		require.False(t, TierAllows("", typ))
		require.False(t, TierAllows("platinum", typ))
	}
	for _, typ := range []Type{TypeEmail, TypeChat, TypeMessenger, TypeForm} {
		require.Equal(t, "", TierRequired(typ))
		for _, tier := range []string{"starter", "professional", "enterprise"} {
			require.True(t, TierAllows(tier, typ))
		}
	}
}

func TestExternalKey(t *testing.T) {
	for _, tc := range []struct {
		typ  Type
		raw  string
		want string
	}{
		{TypeMessenger, `{"page_id":"1234","page_access_token":"t","app_secret":"s"}`, "1234"},
		{TypeWhatsApp, `{"phone_number_id":"5678","access_token":"t","app_secret":"s","business_phone":"+14155550123"}`, "5678"},
		{TypeEmail, `{"address":"Support@Example.COM"}`, "support@example.com"},
		{TypeCalling, `{"phone_number":"+14155550123"}`, "+14155550123"},
		{TypeChat, `{}`, ""},
		{TypeForm, `{"form_id":"f"}`, ""},
		{TypeCustom, `{"app_name":"a"}`, ""},
	} {
		require.Equal(t, tc.want, channels.ExternalKey(mustDecode(t, tc.typ, tc.raw)), tc.typ)
	}
	require.Equal(t, "", channels.ExternalKey(nil))
}

func TestSecretFields(t *testing.T) {
	paths := func(typ Type) []string {
		ch, _ := builtins.Lookup(typ)
		return channels.SecretPaths(ch.NewConfig())
	}
	require.Equal(t, []string{"smtp.password", "imap.password"}, paths(TypeEmail))
	require.Equal(t, []string{"page_access_token", "app_secret", "verify_token"}, paths(TypeMessenger))
	require.Equal(t, []string{"access_token", "app_secret", "verify_token"}, paths(TypeWhatsApp))
	require.Equal(t, []string{"secret"}, paths(TypeCustom))
	require.Equal(t, []string{"identity_secret"}, paths(TypeChat))
	require.Empty(t, paths(TypeForm))
	require.Empty(t, paths(TypeCalling))
}
