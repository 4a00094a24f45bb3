package form

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// Request is the body of POST /v1/channels/{id}/submissions (and the JSON body of the public form, external_id optional there).
type Request struct {
	// ExternalID makes the submission idempotent: the same id again is the duplicate it is.
	ExternalID string `json:"external_id" validate:"max=255"`
	// Fields are the submitted values by field name: strings, numbers or true/false.
	Fields map[string]any `json:"fields"`
	// PageURL is the page the form was on.
	PageURL string `json:"page_url" validate:"max=2048"`
	// SubmittedAt is when the visitor submitted the form (default: now).
	SubmittedAt *time.Time `json:"submitted_at"`
}

// maxValue is the most characters one field's value may hold.
const maxValue = 10000

// Submission is a submission validated against its form.
type Submission struct {
	// Values are every field by name, normalised (numbers, true/false, E.164 phones), hidden ones included.
	Values map[string]string
	// Hidden are the hidden fields by name.
	Hidden map[string]string
	// Text is the visible fields, one "Label: value" line each in the form's order: the thread's message.
	Text string
	// Subject and Description are the ticket's, from the form's subject and description fields.
	Subject, Description string
	// Email, Name and Phone identify the submitter: the first email field, the field "name", the first phone field.
	Email, Name, Phone string
	// Spam is true when the honeypot field was filled: the submission is answered as usual and dropped.
	Spam bool
}

// Values turns JSON field values into strings: numbers as written, booleans as true/false, null as empty.
func Values(raw map[string]any) (map[string]string, []domain.FieldError) {
	out := make(map[string]string, len(raw))
	var errs []domain.FieldError
	for name, v := range raw {
		switch v := v.(type) {
		case nil:
			out[name] = ""
		case string:
			out[name] = v
		case bool:
			out[name] = strconv.FormatBool(v)
		case json.Number:
			out[name] = v.String()
		case float64:
			out[name] = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			errs = append(errs, domain.FieldError{Field: "fields." + name, Message: "must be a string, a number or true/false"})
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return out, errs
}

// Validate checks values against the form's fields: no unknown field, required ones present, each of its
// type (email, number, select option, checkbox, phone); it returns the submission or every field error,
// each field named once.
func (f *Config) Validate(values map[string]string) (Submission, []domain.FieldError) {
	sub := Submission{Values: map[string]string{}, Hidden: map[string]string{}}
	var errs []domain.FieldError
	fail := func(name, msg string) { errs = append(errs, domain.FieldError{Field: "fields." + name, Message: msg}) }
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names) // errors in a stable order
	for _, name := range names {
		v := values[name]
		if f.HoneypotField != "" && name == f.HoneypotField {
			sub.Spam = strings.TrimSpace(v) != ""
			continue
		}
		if _, ok := f.field(name); !ok {
			fail(name, "is not a field of this form")
			continue
		}
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			fail(name, "must be UTF-8 text without NUL characters")
		} else if utf8.RuneCountInString(v) > maxValue {
			fail(name, fmt.Sprintf("must be at most %d characters", maxValue))
		}
	}
	named := map[string]bool{} // each field is named once, with its first problem
	for _, e := range errs {
		named[strings.TrimPrefix(e.Field, "fields.")] = true
	}
	var lines []string
	for _, field := range f.Fields {
		if named[field.Name] {
			continue
		}
		v, err := field.normalise(strings.TrimSpace(values[field.Name]))
		if err != "" {
			fail(field.Name, err)
			continue
		}
		if v == "" {
			if field.Required {
				fail(field.Name, "is required")
			}
			continue
		}
		sub.Values[field.Name] = v
		switch {
		case field.Type == "email" && sub.Email == "":
			sub.Email = v
		case field.Type == "phone" && sub.Phone == "":
			sub.Phone = v
		case field.Name == "name":
			sub.Name = v
		}
		if field.Hidden || field.Type == "hidden" {
			sub.Hidden[field.Name] = v
			continue
		}
		label := field.Label
		if label == "" {
			label = field.Name
		}
		lines = append(lines, label+": "+v)
	}
	if len(errs) > 0 {
		return sub, errs
	}
	sub.Text = strings.Join(lines, "\n")
	sub.Subject = sub.Values[f.SubjectField]
	sub.Description = sub.Text
	if f.DescriptionField != "" {
		sub.Description = sub.Values[f.DescriptionField]
	}
	return sub, nil
}

// normalise checks one value of the field (trimmed; "" is absent) and returns it in its stored form, or what is wrong.
func (field FormField) normalise(v string) (string, string) {
	if v == "" {
		return "", ""
	}
	switch field.Type {
	case "email":
		a, err := mail.ParseAddress(v)
		if err != nil || a.Name != "" || a.Address != v || len(v) > 320 {
			return "", "must be an email address, e.g. ada@example.com"
		}
	case "number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return "", "must be a number"
		}
	case "select":
		if len(field.Options) > 0 && !contains(field.Options, v) {
			return "", "must be one of: " + strings.Join(field.Options, ", ")
		}
	case "checkbox":
		switch strings.ToLower(v) {
		case "true", "on", "yes", "1":
			return "true", ""
		case "false", "off", "no", "0":
			return "", "" // unchecked: absent, so a required checkbox must be checked
		}
		return "", "must be true or false"
	case "phone":
		p, err := channels.NormalizePhone(v, "")
		if err != nil {
			return "", err.Error()
		}
		return p, ""
	}
	return v, ""
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}
