package channelconfig

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeEmail(t *testing.T) {
	runDecodeCases(t, TypeEmail, []decodeCase{
		{name: "minimal", raw: `{"address":"support@example.com"}`},
		{name: "full", raw: `{"address":"support@example.com","provider":"gmail","from_name_mode":"agent_and_company",
			"company_name":"Acme","signature":{"format":"html","body":"<p>{{full_name}}, {{ first_name }} {{last_name}}</p>"},
			"original_sender_for_forwards":false,"smtp":{"host":"smtp.example.com","port":587,"username":"u","password":"p"}}`},
		{name: "smtp by IP without auth", raw: `{"address":"a@example.com","smtp":{"host":"10.0.0.5","port":25}}`},
		{name: "empty", raw: ``, errs: map[string]string{"config.address": "is required"}},
		{name: "null", raw: `null`, errs: map[string]string{"config.address": "is required"}},
		{name: "bad address", raw: `{"address":"not-an-email"}`, errs: map[string]string{"config.address": "email address"}},
		{name: "bad provider", raw: `{"address":"a@example.com","provider":"yahoo"}`,
			errs: map[string]string{"config.provider": "one of: gmail, office365, other"}},
		{name: "bad from_name_mode", raw: `{"address":"a@example.com","from_name_mode":"agent"}`,
			errs: map[string]string{"config.from_name_mode": "one of: agent_and_company, company"}},
		{name: "office365 with from_name_mode", raw: `{"address":"a@example.com","provider":"office365","from_name_mode":"company"}`,
			errs: map[string]string{"config.from_name_mode": "office365 does not support from_name_mode"}},
		{name: "office365 alone", raw: `{"address":"a@example.com","provider":"office365"}`},
		{name: "unknown signature token", raw: `{"address":"a@example.com","signature":{"body":"Thanks, {{nickname}}"}}`,
			errs: map[string]string{"config.signature.body": "unknown token {{nickname}}"}},
		{name: "unclosed signature token", raw: `{"address":"a@example.com","signature":{"body":"Thanks, {{full_name"}}`,
			errs: map[string]string{"config.signature.body": "without a closing"}},
		{name: "bad signature format", raw: `{"address":"a@example.com","signature":{"format":"markdown","body":"x"}}`,
			errs: map[string]string{"config.signature.format": "one of: text, html"}},
		{name: "smtp port out of range", raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":70000}}`,
			errs: map[string]string{"config.smtp.port": "at most 65535"}},
		{name: "smtp port zero", raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":0}}`,
			errs: map[string]string{"config.smtp.port": "is required"}},
		{name: "smtp port as string", raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":"587"}}`,
			errs: map[string]string{"config.smtp.port": "must be an integer, not a string"}},
		{name: "smtp port fraction", raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":587.5}}`,
			errs: map[string]string{"config.smtp.port": "integer"}},
		{name: "smtp bad host", raw: `{"address":"a@example.com","smtp":{"host":"smtp example.com","port":25}}`,
			errs: map[string]string{"config.smtp.host": "host name"}},
		{name: "smtp password without username", raw: `{"address":"a@example.com","smtp":{"host":"h","port":25,"password":"p"}}`,
			errs: map[string]string{"config.smtp.username": "required when a password is set"}},
		{name: "unknown top-level field", raw: `{"address":"a@example.com","foo":1}`,
			errs: map[string]string{"config.foo": "not a known field"}},
		{name: "unknown nested field", raw: `{"address":"a@example.com","smtp":{"host":"h","port":25,"tls":true}}`,
			errs: map[string]string{"config.smtp.tls": "not a known field"}},
		{name: "field names are case-sensitive", raw: `{"Address":"a@example.com"}`,
			errs: map[string]string{"config.Address": "did you mean address?"}},
		{name: "bool as string", raw: `{"address":"a@example.com","original_sender_for_forwards":"yes"}`,
			errs: map[string]string{"config.original_sender_for_forwards": "must be true or false"}},
		{name: "smtp as array", raw: `{"address":"a@example.com","smtp":[]}`,
			errs: map[string]string{"config.smtp": "must be an object, not an array"}},
		{name: "several problems at once", raw: `{"address":5,"foo":1,"smtp":{"port":"x"}}`,
			errs: map[string]string{"config.address": "must be a string", "config.foo": "not a known field", "config.smtp.port": "integer"}},
		{name: "not an object", raw: `"support@example.com"`, errs: map[string]string{"config": "must be a JSON object"}},
		{name: "bad JSON", raw: `{"address":`, errs: map[string]string{"config": "not valid JSON"}},
		{name: "trailing data", raw: `{"address":"a@example.com"} {}`, errs: map[string]string{"config": "not valid JSON"}},
		{name: "placeholder as password", raw: `{"address":"a@example.com","smtp":{"host":"h","port":25,"username":"u","password":"***"}}`,
			errs: map[string]string{"config.smtp.password": "placeholder"}},
	})
}

func TestEmailDefaults(t *testing.T) {
	e := mustDecode(t, TypeEmail, `{"address":"Support@Example.com","signature":{"body":"-- {{full_name}}"}}`).(*Email)
	require.Equal(t, ProviderOther, e.Provider)
	require.NotNil(t, e.OriginalSenderForForwards)
	require.True(t, *e.OriginalSenderForForwards)
	require.True(t, e.ForwardsUseOriginalSender())
	require.Equal(t, "text", e.Signature.Format)

	e = mustDecode(t, TypeEmail, `{"address":"a@example.com","original_sender_for_forwards":false}`).(*Email)
	require.False(t, e.ForwardsUseOriginalSender())
	e = mustDecode(t, TypeEmail, `{"address":"a@example.com","original_sender_for_forwards":null}`).(*Email)
	require.True(t, e.ForwardsUseOriginalSender())
}

func TestSignatureRender(t *testing.T) {
	s := Signature{Format: "text", Body: "{{full_name}} ({{ first_name }}/{{last_name}}) {{other}} {{open"}
	require.Equal(t, "Ann <Lee> (Ann/<Lee>) {{other}} {{open", s.Render("Ann <Lee>", "Ann", "<Lee>"))
	s.Format = "html"
	require.Equal(t, "Ann &lt;Lee&gt; (Ann/&lt;Lee&gt;) {{other}} {{open", s.Render("Ann <Lee>", "Ann", "<Lee>"))
}
