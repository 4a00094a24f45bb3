package consoletest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/internal/testenv"
)

func TestConsoleAssetsServed(t *testing.T) {
	st := testenv.NewStack(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(st.HTTP.URL + "/console")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("/console: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for path, wantType := range map[string]string{"/console/": "text/html", "/console/js/app.js": "javascript", "/console/console.css": "text/css"} {
		r := st.Do(http.MethodGet, path, "", nil)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), wantType) {
			t.Errorf("%s: %d %q", path, r.Status, r.Header.Get("Content-Type"))
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
	if r := st.Do(http.MethodGet, "/console/nope.js", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("missing asset: %d", r.Status)
	}
}

func TestMe(t *testing.T) {
	st := testenv.NewStack(t)
	accountID, token := st.Account("Me Co", "enterprise")
	if r := st.Do(http.MethodGet, "/v1/me", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.Status)
	}
	me := st.Do(http.MethodGet, "/v1/me", token, nil).Map(t)
	if me["account_id"] != accountID || me["role"] != "admin" || me["user_id"] != nil || me["temporal_ui"] != "" {
		t.Fatalf("admin: %v", me)
	}
	u := st.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "agent@example.com", "has_profile": true}).Map(t)
	tok := st.Do(http.MethodPost, "/v1/users/"+u["id"].(string)+"/tokens", token, nil).Map(t)
	agent := st.Do(http.MethodGet, "/v1/me", tok["token"].(string), nil).Map(t)
	if agent["account_id"] != accountID || agent["role"] != "agent" || agent["user_id"] != u["id"] {
		t.Fatalf("agent: %v", agent)
	}
}
