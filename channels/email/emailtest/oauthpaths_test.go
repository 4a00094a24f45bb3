package emailtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/routedesk/routedesk/internal/oauthfake"
)

// TestOAuthConsentDenied: the admin refuses the consent screen (the provider
// answers the callback with error=access_denied): the callback (problem+json 422
// for an API client, naming the field error) says the provider
// gave no access and nothing was connected, no channel exists, and the flow
// cannot be replayed.
func TestOAuthConsentDenied(t *testing.T) {
	for _, kind := range []string{oauthfake.Google, oauthfake.Microsoft} {
		t.Run(kind, func(t *testing.T) {
			o := newOAuthDesk(t, kind, "support@"+kind+".test")
			o.prov.Deny = true
			jar, _ := cookiejar.New(nil)
			var last string
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
				last = r.URL.String()
				return nil
			}}
			enc, _ := json.Marshal(map[string]any{"provider": kind, "name": "Support"})
			req, _ := http.NewRequest(http.MethodPost, o.HTTP.URL+"/v1/email/oauth/authorizations", bytes.NewReader(enc))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+o.token)
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			start := readResponse(t, res)
			if start.Status != http.StatusCreated {
				t.Fatalf("start: %d %s", start.Status, start.Body)
			}
			res, err = c.Get(start.Map(t)["authorization_url"].(string))
			if err != nil {
				t.Fatal(err)
			}
			end := readResponse(t, res)
			if end.Status != http.StatusUnprocessableEntity || !strings.Contains(last, "error=access_denied") ||
				!strings.Contains(string(end.Body), "did not give access (access_denied") || !strings.Contains(string(end.Body), "nothing was connected") {
				t.Fatalf("a refused consent ended %d at %s: %s", end.Status, last, end.Body)
			}
			if items := o.Do(http.MethodGet, "/v1/channels", o.token, nil).Map(t)["items"].([]any); len(items) != 0 {
				t.Fatalf("a refused consent left channels: %v", items)
			}
			res, err = c.Get(last) // the same answer again: the flow is spent
			if err != nil {
				t.Fatal(err)
			}
			if again := readResponse(t, res); again.Status != http.StatusUnprocessableEntity || !strings.Contains(string(again.Body), "start again") {
				t.Fatalf("replayed callback: %d %s", again.Status, again.Body)
			}
		})
	}
}

// TestOAuthIMAPOAuthBearerOnly: a mailbox server that offers only OAUTHBEARER
// (RFC 7628), not XOAUTH2, is logged into with it: mail arrives as a ticket.
func TestOAuthIMAPOAuthBearerOnly(t *testing.T) {
	o := newOAuthDeskOffering(t, oauthfake.Microsoft, "help@contoso.test", sasl.OAuthBearer)
	id := o.connect(t, map[string]any{"provider": oauthfake.Microsoft, "name": "Help"})
	stop := o.listenSynced(t, id)
	defer stop()
	o.mail(t, "Bearer only")
	tk := o.ticket(t, "Bearer only")
	if h := o.channelHealthOf(t, id); h["state"] != "ok" {
		t.Fatalf("health %v", h)
	}
	if msgs := o.messages(t, tk.ID); len(msgs) != 1 || !strings.Contains(msgs[0].Text, "body of Bearer only") {
		t.Fatalf("messages %+v", msgs)
	}
}
