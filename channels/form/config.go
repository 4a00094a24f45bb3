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
	// SubjectField names the field whose value is the ticket's subject ("": the form's name and first line).
	SubjectField string `json:"subject_field,omitempty" validate:"omitempty,max=64,identifier"`
	// DescriptionField names the field whose value is the ticket's description ("": every visible field).
	DescriptionField string `json:"description_field,omitempty" validate:"omitempty,max=64,identifier"`
	// Public lets websites post to POST /forms/{channel id} without a key.
	Public bool `json:"public,omitempty"`
	// RedirectURL is where a plain HTML form post is sent on (303) after it was stored.
	RedirectURL string `json:"redirect_url,omitempty" validate:"omitempty,max=2048,outbound_url"`
	// AllowedOrigins are the site origins (https://www.example.com) whose pages may post the public form with JSON (CORS).
	AllowedOrigins []string `json:"allowed_origins,omitempty" validate:"max=50,dive,max=200,outbound_url"`
	// HoneypotField names an input people leave empty; a submission that fills it is answered as usual and dropped.
	HoneypotField string `json:"honeypot_field,omitempty" validate:"omitempty,max=64,identifier"`
	// RateLimitPerMinute bounds the public form's submissions per client IP (default DefaultRateLimit).
	RateLimitPerMinute int `json:"rate_limit_per_minute,omitempty" validate:"min=0,max=10000"`
	// ReplyChannelID names the channel replies to its tickets go out on (an email channel, or a
	// WhatsApp channel for a phone line); "" picks a connected email channel when the contact has an address.
	ReplyChannel string `json:"reply_channel_id,omitempty" validate:"max=100,no_space"`
}

// DefaultRateLimit is the public form's default submissions per minute per client IP.
const DefaultRateLimit = 10

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
	// Options are the values a select field accepts (none: any value).
	Options []string `json:"options,omitempty" validate:"max=200,dive,max=200"`
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
	if f.RateLimitPerMinute == 0 {
		f.RateLimitPerMinute = DefaultRateLimit
	}
}

// field returns the form's field of name.
func (f *Config) field(name string) (FormField, bool) {
	for _, fl := range f.Fields {
		if fl.Name == name {
			return fl, true
		}
	}
	return FormField{}, false
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
	for _, named := range []struct{ path, name string }{{"config.subject_field", f.SubjectField}, {"config.description_field", f.DescriptionField}} {
		if _, ok := seen[named.name]; named.name != "" && !ok {
			errs = append(errs, domain.FieldError{Field: named.path, Message: fmt.Sprintf("names no field of the form: %q", named.name)})
		}
	}
	if _, ok := seen[f.HoneypotField]; f.HoneypotField != "" && ok {
		errs = append(errs, domain.FieldError{Field: "config.honeypot_field", Message: "must not be one of the form's fields: people leave the honeypot empty"})
	}
	return errs
}

// ReplyChannelID returns the channel replies go out on ("": one the reply picks).
func (c *Config) ReplyChannelID() string { return c.ReplyChannel }
