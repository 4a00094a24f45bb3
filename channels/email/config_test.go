package email

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/channeltest"
)

func TestDecodeEmail(t *testing.T) {
	channeltest.RunDecodeCases(t, New(nil, nil, Settings{}), []channeltest.DecodeCase{
		{Name: "minimal", Raw: `{"address":"support@example.com"}`},
		{Name: "full", Raw: `{"address":"support@example.com","provider":"gmail","from_name_mode":"agent_and_company",
			"company_name":"Acme","signature":{"format":"html","body":"<p>{{full_name}}, {{ first_name }} {{last_name}}</p>"},
			"original_sender_for_forwards":false,"smtp":{"host":"smtp.example.com","port":587,"username":"u","password":"p"}}`},
		{Name: "smtp by IP without auth", Raw: `{"address":"a@example.com","smtp":{"host":"203.0.113.25","port":25}}`},
		{Name: "smtp on a private network", Raw: `{"address":"a@example.com","smtp":{"host":"10.0.0.5","port":25}}`,
			Errs: map[string]string{"config.smtp.host": "internal addresses"}},
		{Name: "imap at the cloud metadata address", Raw: `{"address":"a@example.com","imap":{"host":"169.254.169.254","port":993,"username":"u","password":"p"}}`,
			Errs: map[string]string{"config.imap.host": "internal addresses"}},
		{Name: "empty", Raw: ``, Errs: map[string]string{"config.address": "is required"}},
		{Name: "null", Raw: `null`, Errs: map[string]string{"config.address": "is required"}},
		{Name: "bad address", Raw: `{"address":"not-an-email"}`, Errs: map[string]string{"config.address": "email address"}},
		{Name: "bad provider", Raw: `{"address":"a@example.com","provider":"yahoo"}`,
			Errs: map[string]string{"config.provider": "one of: gmail, office365, other"}},
		{Name: "bad from_name_mode", Raw: `{"address":"a@example.com","from_name_mode":"agent"}`,
			Errs: map[string]string{"config.from_name_mode": "one of: agent_and_company, company"}},
		{Name: "office365 with from_name_mode", Raw: `{"address":"a@example.com","provider":"office365","from_name_mode":"company"}`,
			Errs: map[string]string{"config.from_name_mode": "office365 does not support from_name_mode"}},
		{Name: "office365 alone", Raw: `{"address":"a@example.com","provider":"office365"}`},
		{Name: "unknown signature token", Raw: `{"address":"a@example.com","signature":{"body":"Thanks, {{nickname}}"}}`,
			Errs: map[string]string{"config.signature.body": "unknown token {{nickname}}"}},
		{Name: "unclosed signature token", Raw: `{"address":"a@example.com","signature":{"body":"Thanks, {{full_name"}}`,
			Errs: map[string]string{"config.signature.body": "without a closing"}},
		{Name: "bad signature format", Raw: `{"address":"a@example.com","signature":{"format":"markdown","body":"x"}}`,
			Errs: map[string]string{"config.signature.format": "one of: text, html"}},
		{Name: "smtp port out of range", Raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":70000}}`,
			Errs: map[string]string{"config.smtp.port": "at most 65535"}},
		{Name: "smtp port zero", Raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":0}}`,
			Errs: map[string]string{"config.smtp.port": "is required"}},
		{Name: "smtp port as string", Raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":"587"}}`,
			Errs: map[string]string{"config.smtp.port": "must be an integer, not a string"}},
		{Name: "smtp port fraction", Raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":587.5}}`,
			Errs: map[string]string{"config.smtp.port": "integer"}},
		{Name: "smtp bad host", Raw: `{"address":"a@example.com","smtp":{"host":"smtp example.com","port":25}}`,
			Errs: map[string]string{"config.smtp.host": "host name"}},
		{Name: "smtp password without username", Raw: `{"address":"a@example.com","smtp":{"host":"h","port":25,"password":"p"}}`,
			Errs: map[string]string{"config.smtp.username": "required when a password is set"}},
		{Name: "unknown top-level field", Raw: `{"address":"a@example.com","foo":1}`,
			Errs: map[string]string{"config.foo": "not a known field"}},
		{Name: "unknown nested field", Raw: `{"address":"a@example.com","smtp":{"host":"h","port":25,"ssl":true}}`,
			Errs: map[string]string{"config.smtp.ssl": "not a known field"}},
		{Name: "smtp tls none off loopback", Raw: `{"address":"a@example.com","smtp":{"host":"smtp.example.com","port":25,"tls":"none"}}`,
			Errs: map[string]string{"config.smtp.tls": "loopback"}},
		{Name: "smtp tls mode", Raw: `{"address":"a@example.com","smtp":{"host":"h","port":25,"tls":"ssl"}}`,
			Errs: map[string]string{"config.smtp.tls": "starttls"}},
		{Name: "imap tls none off loopback", Raw: `{"address":"a@example.com","imap":{"host":"imap.example.com","username":"u","password":"p","tls":"none"}}`,
			Errs: map[string]string{"config.imap.tls": "loopback"}},
		{Name: "imap needs a password", Raw: `{"address":"a@example.com","imap":{"host":"imap.example.com","username":"u"}}`,
			Errs: map[string]string{"config.imap.password": "required"}},
		{Name: "field names are case-sensitive", Raw: `{"Address":"a@example.com"}`,
			Errs: map[string]string{"config.Address": "did you mean address?"}},
		{Name: "bool as string", Raw: `{"address":"a@example.com","original_sender_for_forwards":"yes"}`,
			Errs: map[string]string{"config.original_sender_for_forwards": "must be true or false"}},
		{Name: "smtp as array", Raw: `{"address":"a@example.com","smtp":[]}`,
			Errs: map[string]string{"config.smtp": "must be an object, not an array"}},
		{Name: "several problems at once", Raw: `{"address":5,"foo":1,"smtp":{"port":"x"}}`,
			Errs: map[string]string{"config.address": "must be a string", "config.foo": "not a known field", "config.smtp.port": "integer"}},
		{Name: "not an object", Raw: `"support@example.com"`, Errs: map[string]string{"config": "must be a JSON object"}},
		{Name: "bad JSON", Raw: `{"address":`, Errs: map[string]string{"config": "not valid JSON"}},
		{Name: "trailing data", Raw: `{"address":"a@example.com"} {}`, Errs: map[string]string{"config": "not valid JSON"}},
		{Name: "placeholder as password", Raw: `{"address":"a@example.com","smtp":{"host":"h","port":25,"username":"u","password":"***"}}`,
			Errs: map[string]string{"config.smtp.password": "placeholder"}},
	})
}

func TestEmailDefaults(t *testing.T) {
	e := channeltest.MustDecode(t, New(nil, nil, Settings{}), `{"address":"Support@Example.com","signature":{"body":"-- {{full_name}}"}}`).(*Config)
	require.Equal(t, ProviderOther, e.Provider)
	require.NotNil(t, e.OriginalSenderForForwards)
	require.True(t, *e.OriginalSenderForForwards)
	require.True(t, e.ForwardsUseOriginalSender())
	require.Equal(t, "text", e.Signature.Format)

	e = channeltest.MustDecode(t, New(nil, nil, Settings{}), `{"address":"a@example.com","original_sender_for_forwards":false}`).(*Config)
	require.False(t, e.ForwardsUseOriginalSender())
	e = channeltest.MustDecode(t, New(nil, nil, Settings{}), `{"address":"a@example.com","original_sender_for_forwards":null}`).(*Config)
	require.True(t, e.ForwardsUseOriginalSender())
}

func TestSignatureRender(t *testing.T) {
	s := Signature{Format: "text", Body: "{{full_name}} ({{ first_name }}/{{last_name}}) {{other}} {{open"}
	agent := Agent{FullName: "Ann <Lee>", FirstName: "Ann", LastName: "<Lee>"}
	require.Equal(t, "Ann <Lee> (Ann/<Lee>) {{other}} {{open", s.Render(agent))
	s.Format = "html"
	require.Equal(t, "Ann &lt;Lee&gt; (Ann/&lt;Lee&gt;) {{other}} {{open", s.Render(agent))
}
