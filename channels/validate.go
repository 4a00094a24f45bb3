package channels

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/routedesk/routedesk/domain"
)

var (
	rrggbbPattern     = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	e164Pattern       = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
	digitsPattern     = regexp.MustCompile(`^[0-9]+$`)
	identifierPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	hostnamePattern   = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)
)

// validate checks the struct tags of every configuration type.
var validate = newValidator()

// customRules are the validator tags this package adds, each with the message its failure gives.
var customRules = map[string]struct {
	ok      func(string) bool
	message string
}{
	"rrggbb":        {rrggbbPattern.MatchString, "must be a color in #rrggbb form, e.g. #1f6feb"},
	"e164_strict":   {e164Pattern.MatchString, "must be a phone number in E.164 form: + and up to 15 digits, e.g. +14155550123"},
	"digits_only":   {digitsPattern.MatchString, "must contain only digits"},
	"identifier":    {identifierPattern.MatchString, "must start with a letter or underscore and contain only letters, digits and underscores"},
	"host":          {isHost, "must be a host name or IP address"},
	"timezone_name": {isTimezone, "must be an IANA time zone name, e.g. Europe/Berlin or America/New_York"},
	"single_line":   {isSingleLine, "must be one line without control characters"},
	"no_space":      {isSpaceless, "must not contain spaces or control characters (check for stray whitespace when pasting)"},
	"outbound_url":  {isOutboundURL, "must be an https URL without credentials (http is allowed only for localhost, 127.0.0.1 and [::1])"},
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonName) // errors name fields by their JSON paths
	for tag, rule := range customRules {
		ok := rule.ok
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return ok(fl.Field().String()) }); err != nil {
			panic(fmt.Sprintf("channels: register validator %s: %v", tag, err))
		}
	}
	return v
}

// validateStruct runs the struct-tag rules on cfg and returns their failures as field errors.
func validateStruct(cfg Config) []domain.FieldError {
	err := validate.Struct(cfg)
	if err == nil {
		return nil
	}
	var failures validator.ValidationErrors
	if !errors.As(err, &failures) {
		return []domain.FieldError{{Field: "config", Message: "cannot be validated: " + err.Error()}}
	}
	out := make([]domain.FieldError, 0, len(failures))
	for _, f := range failures {
		// Namespace is "Email.smtp.port": drop the struct name, keep the JSON path.
		_, path, _ := strings.Cut(f.Namespace(), ".")
		out = append(out, domain.FieldError{Field: "config." + path, Message: message(f)})
	}
	return out
}

// message says in words what the failed validator tag wants.
func message(f validator.FieldError) string {
	if rule, ok := customRules[f.Tag()]; ok {
		return rule.message
	}
	unit := ""
	switch f.Kind() {
	case reflect.String:
		unit = " characters"
	case reflect.Slice, reflect.Map, reflect.Array:
		unit = " items"
	}
	switch f.Tag() {
	case "required":
		return "is required"
	case "email":
		return "must be an email address, e.g. support@example.com"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(f.Param(), " ", ", ")
	case "max":
		return "must be at most " + f.Param() + unit
	case "min":
		return "must be at least " + f.Param() + unit
	}
	return "is invalid (" + f.Tag() + ")"
}

func isHost(s string) bool {
	if ip := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"); net.ParseIP(ip) != nil {
		return true
	}
	return hostnamePattern.MatchString(s)
}

func isTimezone(s string) bool {
	if s == "Local" {
		return false
	}
	_, err := time.LoadLocation(s)
	return err == nil
}

func isSingleLine(s string) bool {
	return !strings.ContainsFunc(s, unicode.IsControl)
}

func isSpaceless(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

// isOutboundURL accepts an absolute https URL, or http for a loopback host, with no user info.
func isOutboundURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Opaque != "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		switch strings.ToLower(u.Hostname()) {
		case "localhost", "127.0.0.1", "::1":
			return true
		}
	}
	return false
}
