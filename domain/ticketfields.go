package domain

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The ticket priorities, lowest first (docs/tickets.md, Priority and tags).
const (
	TicketPriorityLow    = "low"
	TicketPriorityNormal = "normal"
	TicketPriorityHigh   = "high"
	TicketPriorityUrgent = "urgent"
)

// TicketPriorities is the priority vocabulary, lowest first.
var TicketPriorities = []string{TicketPriorityLow, TicketPriorityNormal, TicketPriorityHigh, TicketPriorityUrgent}

// ValidTicketPriority reports whether p is in the priority vocabulary.
func ValidTicketPriority(p string) bool { return slices.Contains(TicketPriorities, p) }

// TicketPrioritiesText lists the vocabulary for error messages: "low, normal, high, urgent".
func TicketPrioritiesText() string { return strings.Join(TicketPriorities, ", ") }

// LegacyTicketPriority maps a priority from before the vocabulary (stored data, channel defaults, rules,
// imports) into it: the vocabulary's words in any case, medium → normal, critical/emergency → urgent,
// anything else (empty included) → normal. Migration 00230 applies the same mapping.
func LegacyTicketPriority(p string) string {
	v := strings.ToLower(strings.TrimSpace(p))
	switch {
	case ValidTicketPriority(v):
		return v
	case v == "critical" || v == "emergency":
		return TicketPriorityUrgent
	}
	return TicketPriorityNormal
}

// Tag limits (docs/tickets.md, Priority and tags).
const (
	MaxTicketTags   = 50
	MaxTicketTagLen = 50
)

// NormalizeTag folds a tag to its stored form: trimmed and lower-case; it must then be 1 to MaxTicketTagLen
// letters, digits, '-', '_', '.', ':' or '/' (no spaces, so a tag is one search word).
func NormalizeTag(tag string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(tag))
	if t == "" {
		return "", fmt.Errorf("is empty")
	}
	if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTicketTagLen {
		return "", fmt.Errorf("must be at most %d characters", MaxTicketTagLen)
	}
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_.:/", r) {
			return "", fmt.Errorf("%q is not allowed: a tag is letters, digits and - _ . : /", r)
		}
	}
	return t, nil
}

// NormalizeTags folds each tag (NormalizeTag) and drops repeats, keeping the first one's place;
// a problem names the field's element, e.g. tags[2].
func NormalizeTags(field string, tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for i, tag := range tags {
		t, err := NormalizeTag(tag)
		if err != nil {
			return nil, Invalid(fmt.Sprintf("%s[%d]", field, i), err.Error())
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}
