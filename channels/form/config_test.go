package form

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/channeltest"
)

func TestDecodeForm(t *testing.T) {
	channeltest.RunDecodeCases(t, New(), []channeltest.DecodeCase{
		{Name: "minimal", Raw: `{"form_id":"contact-us"}`},
		{Name: "fields", Raw: `{"form_id":"contact-us","fields":[{"name":"email","label":"Email","type":"email","required":true},
			{"name":"order_id","type":"number"},{"name":"_utm","type":"hidden","hidden":true},{"name":"topic","type":"select"},
			{"name":"tel","type":"phone"},{"name":"msg","type":"textarea"},{"name":"ok","type":"checkbox"},{"name":"plain"}]}`},
		{Name: "form id missing", Raw: `{"fields":[]}`, Errs: map[string]string{"config.form_id": "is required"}},
		{Name: "empty", Raw: ``, Errs: map[string]string{"config.form_id": "is required"}},
		{Name: "field name missing", Raw: `{"form_id":"f","fields":[{"label":"Email"}]}`,
			Errs: map[string]string{"config.fields[0].name": "is required"}},
		{Name: "field name not identifier", Raw: `{"form_id":"f","fields":[{"name":"e-mail"},{"name":"1st"}]}`,
			Errs: map[string]string{"config.fields[0].name": "letters, digits and underscores", "config.fields[1].name": "start with a letter"}},
		{Name: "bad field type", Raw: `{"form_id":"f","fields":[{"name":"a","type":"date"}]}`,
			Errs: map[string]string{"config.fields[0].type": "one of: text, email, textarea, select, checkbox, number, hidden, phone"}},
		{Name: "duplicate names", Raw: `{"form_id":"f","fields":[{"name":"email"},{"name":"x"},{"name":"email"}]}`,
			Errs: map[string]string{"config.fields[2].name": `duplicates the name "email" of fields[0]`}},
		{Name: "names are case-sensitive", Raw: `{"form_id":"f","fields":[{"name":"email"},{"name":"Email"}]}`},
		{Name: "unknown field in item", Raw: `{"form_id":"f","fields":[{"name":"a","choices":["x"]}]}`,
			Errs: map[string]string{"config.fields[0].choices": "not a known field"}},
		{Name: "ticket fields and public form", Raw: `{"form_id":"f","fields":[{"name":"topic","type":"select","options":["a","b"]},{"name":"msg"}],
			"subject_field":"topic","description_field":"msg","public":true,"redirect_url":"https://example.com/thanks",
			"allowed_origins":["https://www.example.com"],"honeypot_field":"website","rate_limit_per_minute":5}`},
		{Name: "subject field unknown", Raw: `{"form_id":"f","fields":[{"name":"a"}],"subject_field":"b","description_field":"c"}`,
			Errs: map[string]string{"config.subject_field": `names no field of the form: "b"`, "config.description_field": `names no field of the form: "c"`}},
		{Name: "honeypot is a field", Raw: `{"form_id":"f","fields":[{"name":"a"}],"honeypot_field":"a"}`,
			Errs: map[string]string{"config.honeypot_field": "must not be one of the form's fields"}},
		{Name: "redirect not https", Raw: `{"form_id":"f","redirect_url":"http://example.com/x"}`,
			Errs: map[string]string{"config.redirect_url": "https URL"}},
		{Name: "required as string", Raw: `{"form_id":"f","fields":[{"name":"a"},{"name":"b","required":"yes"}]}`,
			Errs: map[string]string{"config.fields[1].required": "true or false"}},
		{Name: "fields as object", Raw: `{"form_id":"f","fields":{"name":"a"}}`,
			Errs: map[string]string{"config.fields": "must be an array"}},
		{Name: "item not object", Raw: `{"form_id":"f","fields":["a"]}`,
			Errs: map[string]string{"config.fields[0]": "must be an object"}},
		{Name: "form id with space", Raw: `{"form_id":"contact us"}`, Errs: map[string]string{"config.form_id": "spaces"}},
	})
}

func TestFormDefaults(t *testing.T) {
	f := channeltest.MustDecode(t, New(), `{"form_id":"f"}`).(*Config)
	require.NotNil(t, f.Fields)
	require.Empty(t, f.Fields)
	f = channeltest.MustDecode(t, New(), `{"form_id":"f","fields":[{"name":"a"}]}`).(*Config)
	require.Equal(t, "text", f.Fields[0].Type)
}
