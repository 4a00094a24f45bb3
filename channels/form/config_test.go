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
		{Name: "unknown field in item", Raw: `{"form_id":"f","fields":[{"name":"a","options":["x"]}]}`,
			Errs: map[string]string{"config.fields[0].options": "not a known field"}},
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
