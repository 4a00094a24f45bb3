package channelconfig

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeForm(t *testing.T) {
	runDecodeCases(t, TypeForm, []decodeCase{
		{name: "minimal", raw: `{"form_id":"contact-us"}`},
		{name: "fields", raw: `{"form_id":"contact-us","fields":[{"name":"email","label":"Email","type":"email","required":true},
			{"name":"order_id","type":"number"},{"name":"_utm","type":"hidden","hidden":true},{"name":"topic","type":"select"},
			{"name":"tel","type":"phone"},{"name":"msg","type":"textarea"},{"name":"ok","type":"checkbox"},{"name":"plain"}]}`},
		{name: "form id missing", raw: `{"fields":[]}`, errs: map[string]string{"config.form_id": "is required"}},
		{name: "empty", raw: ``, errs: map[string]string{"config.form_id": "is required"}},
		{name: "field name missing", raw: `{"form_id":"f","fields":[{"label":"Email"}]}`,
			errs: map[string]string{"config.fields[0].name": "is required"}},
		{name: "field name not identifier", raw: `{"form_id":"f","fields":[{"name":"e-mail"},{"name":"1st"}]}`,
			errs: map[string]string{"config.fields[0].name": "letters, digits and underscores", "config.fields[1].name": "start with a letter"}},
		{name: "bad field type", raw: `{"form_id":"f","fields":[{"name":"a","type":"date"}]}`,
			errs: map[string]string{"config.fields[0].type": "one of: text, email, textarea, select, checkbox, number, hidden, phone"}},
		{name: "duplicate names", raw: `{"form_id":"f","fields":[{"name":"email"},{"name":"x"},{"name":"email"}]}`,
			errs: map[string]string{"config.fields[2].name": `duplicates the name "email" of fields[0]`}},
		{name: "names are case-sensitive", raw: `{"form_id":"f","fields":[{"name":"email"},{"name":"Email"}]}`},
		{name: "unknown field in item", raw: `{"form_id":"f","fields":[{"name":"a","options":["x"]}]}`,
			errs: map[string]string{"config.fields[0].options": "not a known field"}},
		{name: "required as string", raw: `{"form_id":"f","fields":[{"name":"a"},{"name":"b","required":"yes"}]}`,
			errs: map[string]string{"config.fields[1].required": "true or false"}},
		{name: "fields as object", raw: `{"form_id":"f","fields":{"name":"a"}}`,
			errs: map[string]string{"config.fields": "must be an array"}},
		{name: "item not object", raw: `{"form_id":"f","fields":["a"]}`,
			errs: map[string]string{"config.fields[0]": "must be an object"}},
		{name: "form id with space", raw: `{"form_id":"contact us"}`, errs: map[string]string{"config.form_id": "spaces"}},
	})
}

func TestFormDefaults(t *testing.T) {
	f := mustDecode(t, TypeForm, `{"form_id":"f"}`).(*Form)
	require.NotNil(t, f.Fields)
	require.Empty(t, f.Fields)
	f = mustDecode(t, TypeForm, `{"form_id":"f","fields":[{"name":"a"}]}`).(*Form)
	require.Equal(t, "text", f.Fields[0].Type)
}
