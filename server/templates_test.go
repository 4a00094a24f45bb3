package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeTemplates is a Graph listing of one approved template (a text header, a positional body and a URL
// button with a variable) and one pending template, which is not listed.
const fakeTemplates = `{"data":[
 {"id":"1","name":"order_update","language":"en_US","status":"APPROVED","category":"UTILITY","components":[
  {"type":"HEADER","format":"TEXT","text":"Order {{1}}"},
  {"type":"BODY","text":"Hi {{1}}, your order {{2}} has shipped."},
  {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Thanks"},{"type":"URL","text":"Track","url":"https://shop.test/track/{{1}}"}]}]},
 {"id":"2","name":"draft","language":"en_US","status":"PENDING","category":"MARKETING","components":[{"type":"BODY","text":"Soon"}]}],
 "paging":{"cursors":{"before":"a","after":"b"}}}`

// TestWhatsAppTemplates: a WhatsApp channel lists its business account's approved templates with their
// variables, from a cache refreshed on demand; a failed refresh serves the cache marked stale.
func TestWhatsAppTemplates(t *testing.T) {
	d := newDesk(t)
	_, agent := d.agent("alice@acme.test", "Alice")
	r := d.s.Do(http.MethodPost, "/v1/channels", d.token, map[string]any{"type": "whatsapp", "name": "WA",
		"config": map[string]any{"phone_number_id": "1098765", "access_token": "wa-token", "app_secret": "s"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := r.Map(t)["id"].(string)
	path := "/v1/channels/" + ch + "/whatsapp/templates"

	r = d.s.Do(http.MethodGet, path, agent, nil)
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Contains(t, r.Map(t)["detail"], "config.business_account_id")
	requireField(t, d.s.Do(http.MethodPatch, "/v1/channels/"+ch, d.token, map[string]any{"config": map[string]any{"business_account_id": "12a"}}),
		http.StatusUnprocessableEntity, "config.business_account_id")
	r = d.s.Do(http.MethodPatch, "/v1/channels/"+ch, d.token, map[string]any{"config": map[string]any{"business_account_id": "2020"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	d.s.Graph.SetTemplates("2020", fakeTemplates)

	listings := func() int {
		n := 0
		for _, g := range d.s.Graph.Requests() {
			if g.Method == http.MethodGet && strings.HasSuffix(g.Path, "/2020/message_templates") {
				require.Equal(t, "Bearer wa-token", g.Auth)
				require.Contains(t, g.Query, "status=APPROVED")
				n++
			}
		}
		return n
	}
	r = d.s.Do(http.MethodGet, path, agent, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	l := r.Map(t)
	require.Equal(t, false, l["stale"])
	items := l["items"].([]any)
	require.Len(t, items, 1, "only approved templates are listed")
	tpl := items[0].(map[string]any)
	require.Equal(t, "order_update", tpl["name"])
	require.Equal(t, []any{
		map[string]any{"component": "header", "name": "1"},
		map[string]any{"component": "body", "name": "1"},
		map[string]any{"component": "body", "name": "2"},
		map[string]any{"component": "button", "index": float64(1), "name": "1"},
	}, tpl["variables"])
	require.Equal(t, 1, listings())

	require.Equal(t, http.StatusOK, d.s.Do(http.MethodGet, path, agent, nil).Status)
	require.Equal(t, 1, listings(), "served from the cache")

	// A refresh retries a temporary failure.
	d.s.Graph.FailNext(http.StatusServiceUnavailable, `{"error":{"message":"try later","code":2}}`)
	r = d.s.Do(http.MethodGet, path+"?refresh=true", agent, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, false, r.Map(t)["stale"])
	require.Equal(t, 3, listings())

	// A refresh Graph refuses serves the cache, marked stale with the reason.
	d.s.Graph.FailNext(http.StatusUnauthorized, `{"error":{"message":"Error validating access token","type":"OAuthException","code":190}}`)
	r = d.s.Do(http.MethodGet, path+"?refresh=true", agent, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, true, r.Map(t)["stale"])
	require.Contains(t, r.Map(t)["error"], "Error validating access token")
	require.Len(t, r.Map(t)["items"], 1)

	requireField(t, d.s.Do(http.MethodGet, path+"?refresh=yes", agent, nil), http.StatusUnprocessableEntity, "refresh")
	_, other := d.s.Account("Other", "enterprise")
	require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodGet, path, other, nil).Status)
	chat := d.channel(nil)
	require.Equal(t, http.StatusConflict, d.s.Do(http.MethodGet, "/v1/channels/"+chat+"/whatsapp/templates", agent, nil).Status)
}
