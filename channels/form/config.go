package form

import (
	"fmt"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// Config is the configuration of a web form channel.
type Config struct {
	// FormID identifies the form in the site that posts submissions.
	FormID string `json:"form_id" validate:"required,max=200,no_space"`
	// Fields describe the form's inputs; names are unique.
	Fields []FormField `json:"fields" validate:"max=100,dive"`
}

// FormField is one input of a form.
type FormField struct {
	// Name is the submission key: a letter or underscore, then letters, digits or underscores.
	Name string `json:"name" validate:"required,max=64,identifier"`
	// Label is shown to people.
	Label string `json:"label,omitempty" validate:"max=200,single_line"`
	// Type is text (the default), email, textarea, select, checkbox, number, hidden or phone.
	Type string `json:"type" validate:"oneof=text email textarea select checkbox number hidden phone"`
	// Required makes the field mandatory in submissions.
	Required bool `json:"required,omitempty"`
	// Hidden keeps the field out of the ticket's message view (still on the contact timeline).
	Hidden bool `json:"hidden,omitempty"`
}

// Type returns Type.
func (*Config) Type() channels.Type { return Type }

// ApplyDefaults fills unset optional fields with their defaults.
func (f *Config) ApplyDefaults() {
	if f.Fields == nil {
		f.Fields = []FormField{}
	}
	for i := range f.Fields {
		if f.Fields[i].Type == "" {
			f.Fields[i].Type = "text"
		}
	}
}

// Check reports the rules struct tags cannot express.
func (f *Config) Check() []domain.FieldError {
	var errs []domain.FieldError
	seen := make(map[string]int, len(f.Fields))
	for i, field := range f.Fields {
		if field.Name == "" {
			continue
		}
		if first, dup := seen[field.Name]; dup {
			errs = append(errs, domain.FieldError{Field: fmt.Sprintf("config.fields[%d].name", i),
				Message: fmt.Sprintf("duplicates the name %q of fields[%d]; field names must be unique", field.Name, first)})
			continue
		}
		seen[field.Name] = i
	}
	return errs
}
