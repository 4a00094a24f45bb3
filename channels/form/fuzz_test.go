package form

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func fuzzForm() *Config {
	cfg := &Config{FormID: "f", Fields: []FormField{
		{Name: "email", Label: "Email", Type: "email", Required: true},
		{Name: "name", Type: "text"},
		{Name: "topic", Type: "select", Options: []string{"a", "b"}},
		{Name: "qty", Type: "number"},
		{Name: "ok", Type: "checkbox"},
		{Name: "tel", Type: "phone"},
		{Name: "src", Type: "hidden", Hidden: true},
	}, SubjectField: "topic", DescriptionField: "name", HoneypotField: "website"}
	cfg.ApplyDefaults()
	return cfg
}

// checkSubmission holds for every parsed submission: errors name fields, hidden values stay off the text.
func checkSubmission(t *testing.T, cfg *Config, values map[string]string) {
	sub, errs := cfg.Validate(values)
	for _, e := range errs {
		if !strings.HasPrefix(e.Field, "fields.") || e.Message == "" {
			t.Fatalf("error %+v does not name a field", e)
		}
	}
	if len(errs) > 0 {
		return
	}
	if sub.Values["email"] == "" || sub.Email != sub.Values["email"] {
		t.Fatalf("required email missing from %+v", sub)
	}
	if !utf8.ValidString(sub.Text) || strings.ContainsRune(sub.Text, 0) {
		t.Fatalf("text not storable: %q", sub.Text)
	}
	visible := false // a visible value may itself hold "src: …"
	for name, v := range sub.Values {
		visible = visible || (name != "src" && strings.Contains(v, "src: "))
	}
	if src, ok := sub.Hidden["src"]; ok && !visible && strings.Contains(sub.Text, "src: "+src) {
		t.Fatalf("hidden field on the thread: %q", sub.Text)
	}
	if v, ok := sub.Values["tel"]; ok && !strings.HasPrefix(v, "+") {
		t.Fatalf("phone not E.164: %q", v)
	}
}

func FuzzSubmissionJSON(f *testing.F) {
	f.Add([]byte(`{"external_id":"1","fields":{"email":"a@example.com","topic":"a","qty":3,"ok":true,"tel":"+46 70 123 45 67","src":"ads"}}`))
	f.Add([]byte(`{"fields":{"email":"x","qty":"1e400","unknown":null,"ok":"maybe","website":"spam"}}`))
	f.Add([]byte(`{"fields":{"email":"a@example.com","name":["x"],"tel":"0046701234567"}}`))
	cfg := fuzzForm()
	f.Fuzz(func(t *testing.T, body []byte) {
		var req Request
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&req) != nil {
			return
		}
		values, errs := Values(req.Fields)
		if len(errs) > 0 {
			return
		}
		checkSubmission(t, cfg, values)
	})
}

func FuzzSubmissionURLEncoded(f *testing.F) {
	f.Add("email=a%40example.com&topic=b&ok=on&src=x&name=Ada")
	f.Add("email=%FF&website=1&tel=12")
	cfg := fuzzForm()
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		values := map[string]string{}
		for k, vs := range form {
			values[k] = strings.Join(vs, ", ")
		}
		checkSubmission(t, cfg, values)
	})
}
