// Package channeltest has the helpers the channel packages' tests share: table-driven config decoding.
package channeltest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// DecodeCase is one row of a table-driven Decode test.
type DecodeCase struct {
	Name string
	Raw  string
	// Errs maps each expected error field to a substring of its message; empty means the config is valid.
	Errs map[string]string
}

// RunDecodeCases decodes every case as ch's configuration and checks its exact set of error fields.
func RunDecodeCases(t *testing.T, ch channels.Channel, cases []DecodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			cfg, err := channels.Decode(ch.NewConfig(), json.RawMessage(tc.Raw))
			if len(tc.Errs) == 0 {
				require.NoError(t, err)
				require.Equal(t, ch.Type(), cfg.Type())
				return
			}
			require.Nil(t, cfg)
			got := FieldErrors(t, err)
			fields := make([]string, 0, len(got))
			for f := range got {
				fields = append(fields, f)
			}
			want := make([]string, 0, len(tc.Errs))
			for f := range tc.Errs {
				want = append(want, f)
			}
			require.ElementsMatch(t, want, fields, "errors: %v", got)
			for f, msg := range tc.Errs {
				require.Contains(t, got[f], msg, "message of %s", f)
			}
		})
	}
}

// FieldErrors asserts err is a *domain.ValidationError and returns its messages by field.
func FieldErrors(t *testing.T, err error) map[string]string {
	t.Helper()
	require.Error(t, err)
	var invalid *domain.ValidationError
	require.True(t, errors.As(err, &invalid), "want *domain.ValidationError, got %T: %v", err, err)
	out := make(map[string]string, len(invalid.Errors))
	for _, fe := range invalid.Errors {
		require.NotContains(t, out, fe.Field, "field %s reported twice", fe.Field)
		out[fe.Field] = fe.Message
	}
	return out
}

// MustDecode decodes raw as ch's configuration and fails the test on error.
func MustDecode(t *testing.T, ch channels.Channel, raw string) channels.Config {
	t.Helper()
	cfg, err := channels.Decode(ch.NewConfig(), json.RawMessage(raw))
	require.NoError(t, err)
	return cfg
}

// Repeat returns s n times.
func Repeat(s string, n int) string { return strings.Repeat(s, n) }
