package httpx_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// TestCheckQueryNamesEachUnknownParameterPrintably: the route's own parameters pass; each other one
// is a field error, sorted, named without control bytes or invalid UTF-8 and cut to 100 bytes.
func TestCheckQueryNamesEachUnknownParameterPrintably(t *testing.T) {
	require.NoError(t, httpx.CheckQuery(url.Values{"after": {"1"}, "ticket": {"t"}}, "after", "ticket"))
	require.NoError(t, httpx.CheckQuery(url.Values{}, "after"))

	err := httpx.CheckQuery(url.Values{"zz": {""}, "a\x00b": {""}, "\xff" + strings.Repeat("k", 300): {""}, "after": {""}}, "after", "ticket")
	var invalid *domain.ValidationError
	require.True(t, errors.As(err, &invalid), "%v", err)
	require.Len(t, invalid.Errors, 3)
	for i, e := range invalid.Errors {
		require.Equal(t, "is not a parameter of this route; it takes after, ticket", e.Message)
		require.True(t, strings.ToValidUTF8(e.Field, "") == e.Field && !strings.ContainsRune(e.Field, 0), "%q", e.Field)
		require.LessOrEqual(t, len(e.Field), 110)
		if i > 0 {
			require.Less(t, invalid.Errors[i-1].Field, e.Field)
		}
	}
	require.Equal(t, "a\uFFFDb", invalid.Errors[0].Field)
	require.Equal(t, "zz", invalid.Errors[1].Field)
	require.True(t, strings.HasPrefix(invalid.Errors[2].Field, "\uFFFDkkk"), "%q", invalid.Errors[2].Field)
}
