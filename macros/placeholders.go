// Package macros renders canned replies: the {{placeholders}} of a macro's body
// filled with a ticket's, its contact's and the agent's values.
package macros

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Placeholders are the names a macro body may use, each with what it stands for.
var Placeholders = map[string]string{
	"contact.first_name": "the contact's first name (the first word of their name)",
	"contact.last_name":  "the contact's last name (the rest of their name)",
	"contact.name":       "the contact's full name",
	"contact.email":      "the contact's email address",
	"contact.phone":      "the contact's phone number",
	"ticket.id":          "the ticket's id",
	"ticket.subject":     "the ticket's subject",
	"ticket.status":      "the ticket's status",
	"agent.name":         "the name of the user applying the macro",
	"agent.first_name":   "the first word of that user's name",
	"agent.email":        "that user's email address",
}

// placeholder matches {{ name }}: braces around anything but braces, spaces allowed inside.
var placeholder = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// Names returns the placeholder names of text, in order of first use.
func Names(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		name := strings.TrimSpace(m[1])
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// Check returns an error naming each placeholder of text that is not one of Placeholders.
func Check(text string) error {
	var unknown []string
	for _, name := range Names(text) {
		if _, ok := Placeholders[name]; !ok {
			unknown = append(unknown, "{{"+name+"}}")
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return fmt.Errorf("unknown placeholder %s; known: %s", strings.Join(unknown, ", "), strings.Join(Known(), ", "))
}

// Known lists the placeholder names, sorted.
func Known() []string {
	out := make([]string, 0, len(Placeholders))
	for name := range Placeholders {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Render fills text's placeholders from values; missing lists, in order, those
// without a non-blank value (left as written in the text, never sent: see Apply).
func Render(text string, values map[string]string) (rendered string, missing []string) {
	seen := map[string]bool{}
	rendered = placeholder.ReplaceAllStringFunc(text, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-2])
		if v := strings.TrimSpace(values[name]); v != "" {
			return values[name]
		}
		if !seen[name] {
			seen[name] = true
			missing = append(missing, name)
		}
		return m
	})
	return rendered, missing
}

// SplitName splits a person's name into its first word and the rest.
func SplitName(name string) (first, rest string) {
	fields := strings.Fields(name)
	if len(fields) == 0 {
		return "", ""
	}
	return fields[0], strings.Join(fields[1:], " ")
}
