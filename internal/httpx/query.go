package httpx

import (
	"net/url"
	"slices"
	"strings"

	"github.com/routedesk/routedesk/domain"
)

// UnknownQuery is a field error for each query parameter outside allowed, sorted, each named
// printably and saying which parameters the route takes.
func UnknownQuery(q url.Values, allowed ...string) []domain.FieldError {
	var errs []domain.FieldError
	for k := range q {
		if !slices.Contains(allowed, k) {
			errs = append(errs, domain.FieldError{Field: Printable(k),
				Message: "is not a parameter of this route; it takes " + strings.Join(allowed, ", ")})
		}
	}
	slices.SortFunc(errs, func(a, b domain.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return errs
}

// CheckQuery refuses a query with a parameter outside allowed: a 422 naming each.
func CheckQuery(q url.Values, allowed ...string) error {
	if errs := UnknownQuery(q, allowed...); len(errs) > 0 {
		return &domain.ValidationError{Errors: errs}
	}
	return nil
}
