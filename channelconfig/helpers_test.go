package channelconfig

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
)

// decodeCase is one row of a table-driven Decode test.
type decodeCase struct {
	name string
	raw  string
	// errs maps each expected error field to a substring of its message; empty means the config is valid.
	errs map[string]string
}

// runDecodeCases decodes every case as type typ and checks its exact set of error fields.
func runDecodeCases(t *testing.T, typ Type, cases []decodeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Decode(typ, json.RawMessage(tc.raw))
			if len(tc.errs) == 0 {
				require.NoError(t, err)
				require.Equal(t, typ, cfg.Type())
				return
			}
			require.Nil(t, cfg)
			got := fieldErrors(t, err)
			fields := make([]string, 0, len(got))
			for f := range got {
				fields = append(fields, f)
			}
			want := make([]string, 0, len(tc.errs))
			for f := range tc.errs {
				want = append(want, f)
			}
			require.ElementsMatch(t, want, fields, "errors: %v", got)
			for f, msg := range tc.errs {
				require.Contains(t, got[f], msg, "message of %s", f)
			}
		})
	}
}

// fieldErrors asserts err is a *domain.ValidationError and returns its messages by field.
func fieldErrors(t *testing.T, err error) map[string]string {
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

// mustDecode decodes raw as type typ and fails the test on error.
func mustDecode(t *testing.T, typ Type, raw string) Config {
	t.Helper()
	cfg, err := Decode(typ, json.RawMessage(raw))
	require.NoError(t, err)
	return cfg
}
