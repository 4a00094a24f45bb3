// Package domain holds the types shared by routedesk's layers: accounts,
// channels, contacts, tickets and the validation errors reported about them.
package domain

import (
	"errors"
	"strings"
)

// FieldError names one invalid input field and says what is wrong with it.
type FieldError struct {
	// Field is the JSON path of the field, dotted: "config.page_id", "routing.users[1]".
	Field string `json:"field"`
	// Message says what is wrong, for a person.
	Message string `json:"message"`
	// Line and Column locate an expression error (1-based); zero otherwise.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// ValidationError is a set of field errors; the API answers it with 422.
type ValidationError struct {
	Errors []FieldError
}

// Error joins the field errors into one line.
func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Errors))
	for _, fe := range e.Errors {
		parts = append(parts, fe.Field+": "+fe.Message)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Invalid returns a ValidationError for one field.
func Invalid(field, message string) *ValidationError {
	return &ValidationError{Errors: []FieldError{{Field: field, Message: message}}}
}

// Sentinel errors the API maps to HTTP statuses.
var (
	// ErrNotFound means the resource does not exist in the caller's account.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the request conflicts with existing state.
	ErrConflict = errors.New("conflict")
	// ErrForbidden means the caller's role or account tier does not allow the request.
	ErrForbidden = errors.New("forbidden")
)

// IdentityConflict means an email or phone number given to a contact already
// identifies another contact of the account (409, pointing at the merge route).
type IdentityConflict struct {
	// Field is the contact field holding the identity ("email", "phone").
	Field string
	// Value is the identity, as stored (an email, a phone number in E.164).
	Value string
	// ContactID is the contact the identity belongs to.
	ContactID string
}

// Error says which contact holds the identity.
func (e *IdentityConflict) Error() string {
	return e.Field + " " + e.Value + " already identifies contact " + e.ContactID + "; merge the two contacts instead"
}

// Unwrap makes an IdentityConflict an ErrConflict.
func (e *IdentityConflict) Unwrap() error { return ErrConflict }
