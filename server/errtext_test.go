package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/server"
)

var rfc3339 = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}`)

// Issue 31, point 11: 409 and 410 texts are written for their reader. The
// website's visitor reads that the channel is not taking messages (nothing
// about PATCH); an admin's integration reads the channel, when it was
// disconnected in the account's time zone and how to reconnect it; no text
// ends in ": conflict" or shows an RFC 3339 time.
func TestStateErrorTextsAreForTheirReader(t *testing.T) {
	a := newLightAPI(t, server.Config{}, nil)
	_, err := a.Store.DB().ExecContext(context.Background(), `UPDATE accounts SET timezone = 'Europe/Stockholm'`)
	require.NoError(t, err)
	ch := a.do(t, http.MethodPost, "/v1/channels", map[string]any{"type": "chat", "name": "Website chat"})
	require.Equal(t, http.StatusCreated, ch.Status, string(ch.Body))
	id := ch.Map(t)["id"].(string)
	off := a.do(t, http.MethodPatch, "/v1/channels/"+id, map[string]any{"status": "disconnected"})
	require.Equal(t, http.StatusOK, off.Status, string(off.Body))
	var at time.Time
	require.NoError(t, a.Store.DB().Get(&at, `SELECT disconnected_at FROM channels WHERE id = $1`, id))
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	require.NoError(t, err)

	visitor := rawDo(t, http.MethodGet, a.URL+"/chat/v1/"+id+"/settings", nil, "")
	requireProblem(t, visitor, http.StatusGone, "")
	require.Equal(t, "this channel is not taking messages", visitor.Map(t)["detail"], string(visitor.Body))

	admin := a.do(t, http.MethodPost, "/v1/channels/"+id+"/messages", map[string]any{"external_id": "m1", "text": "hi"})
	requireProblem(t, admin, http.StatusGone, "")
	detail := admin.Map(t)["detail"].(string)
	require.Contains(t, detail, `"Website chat"`)
	require.Contains(t, detail, at.In(stockholm).Format("15:04")+" (Europe/Stockholm)")
	require.Contains(t, detail, `PATCH /v1/channels/`+id)
	require.NotRegexp(t, rfc3339, detail)
	require.False(t, strings.HasSuffix(detail, "disconnected"), detail)

	u := a.do(t, http.MethodPost, "/v1/users", map[string]any{"email": "kim@acme.test", "name": "Kim"})
	require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
	again := a.do(t, http.MethodPost, "/v1/users", map[string]any{"email": "kim@acme.test", "name": "Kim"})
	requireProblem(t, again, http.StatusConflict, "")
	detail = again.Map(t)["detail"].(string)
	require.NotContains(t, detail, "conflict", detail)
	require.Contains(t, detail, "kim@acme.test")
}
