package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"github.com/routedesk/routedesk/domain"
)

var validate = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}

// ValidateStruct checks dst's `validate` tags, naming fields by their JSON path.
func ValidateStruct(dst any) error {
	v := reflect.ValueOf(dst)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	err := validate.Struct(dst)
	if err == nil {
		return checkText(v, "")
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("validate: %w", err)
	}
	out := &domain.ValidationError{}
	for _, fe := range verrs {
		ns := fe.Namespace()
		if _, rest, ok := strings.Cut(ns, "."); ok { // drop the root struct's name
			ns = rest
		}
		out.Errors = append(out.Errors, domain.FieldError{Field: ns, Message: fieldMessage(fe)})
	}
	return out
}

func fieldMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "email":
		return "must be an email address"
	case "max":
		if fe.Kind() == reflect.String {
			return "must be at most " + fe.Param() + " characters"
		}
		return "must be at most " + fe.Param()
	case "min":
		if fe.Kind() == reflect.String {
			return "must be at least " + fe.Param() + " characters"
		}
		return "must be at least " + fe.Param()
	case "gte":
		return "must be at least " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	case "e164":
		return "must be a phone number in E.164 form, e.g. +46701234567"
	case "url", "http_url":
		return "must be a URL"
	case "iso3166_1_alpha2":
		return "must be a two-letter ISO 3166 country code, e.g. SE"
	case "bcp47_language_tag":
		return "must be a BCP 47 language tag, e.g. sv or en-GB"
	}
	return "fails the " + fe.Tag() + " check"
}

// singleLine are the JSON names of fields that hold a name or an enum-like
// token: they must not be blank (non-empty but only whitespace) or hold
// control characters. Any field whose name ends in "_name" counts too.
var singleLine = map[string]bool{
	"name": true, "type": true, "tier": true, "status": true, "pipeline": true, "priority": true,
	"availability": true, "assign_to": true, "kind": true, "language": true,
}

// checkText walks a decoded request struct and rejects blank or
// control-character values in its name and enum-like fields (see singleLine).
func checkText(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkText(v.Elem(), path)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 { // json.RawMessage, []byte
			return nil
		}
		for i := range v.Len() {
			if err := checkText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			field := name
			if path != "" {
				field = path + "." + name
			}
			fv := v.Field(i)
			for fv.Kind() == reflect.Pointer && !fv.IsNil() {
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.String && (singleLine[name] || strings.HasSuffix(name, "_name")) {
				if msg := singleLineProblem(fv.String()); msg != "" {
					return domain.Invalid(field, msg)
				}
				continue
			}
			if err := checkText(fv, field); err != nil {
				return err
			}
		}
	}
	return nil
}

// singleLineProblem says what is wrong with a name or enum value, or "".
func singleLineProblem(s string) string {
	if s == "" {
		return ""
	}
	if strings.TrimSpace(s) == "" {
		return "must not be blank"
	}
	if i := strings.IndexFunc(s, isControl); i >= 0 {
		return fmt.Sprintf("must not contain control characters (found %U)", []rune(s[i:])[0])
	}
	return ""
}

// isControl reports C0/C1 control characters and the Unicode line and paragraph separators.
func isControl(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }

// CheckParams answers 422 naming the parameter when a path or query
// parameter is not valid UTF-8 or holds a control character (NUL above all,
// which PostgreSQL text cannot store), and when the query string is malformed.
func CheckParams(c *gin.Context) {
	var errs []domain.FieldError
	for _, p := range c.Params {
		if msg := paramProblem(p.Value); msg != "" {
			errs = append(errs, domain.FieldError{Field: p.Key, Message: msg})
		}
	}
	q, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		errs = append(errs, domain.FieldError{Field: "query", Message: "is not a valid query string: " + err.Error()})
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if msg := paramProblem(k); msg != "" {
			errs = append(errs, domain.FieldError{Field: printable(k), Message: "the parameter name " + msg})
			continue
		}
		for _, v := range q[k] {
			if msg := paramProblem(v); msg != "" {
				errs = append(errs, domain.FieldError{Field: k, Message: msg})
				break
			}
		}
	}
	if len(errs) > 0 {
		WriteProblem(c, http.StatusUnprocessableEntity, "the request has invalid parameters", errs...)
		return
	}
	c.Next()
}

func paramProblem(v string) string {
	if !utf8.ValidString(v) {
		return "must be valid UTF-8"
	}
	if i := strings.IndexFunc(v, isControl); i >= 0 {
		return fmt.Sprintf("must not contain control characters (found %U)", []rune(v[i:])[0])
	}
	return ""
}

// printable makes a parameter name safe to echo back in a problem.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '\uFFFD'
		}
		return r
	}, Truncate(s, 100))
}
