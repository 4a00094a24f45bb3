package emailtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/oauthfake"
	"github.com/routedesk/routedesk/internal/testenv"
)

// oauthDesk is a desk whose mailbox lives at a fake provider: its authorization server, IMAP and SMTP.
type oauthDesk struct {
	*desk
	prov  *oauthfake.Provider
	imap  *oauthfake.IMAP
	smtp  *oauthfake.SMTP
	set   *email.OAuthSettings
	user  string
	label string
}

// provider is kind's provider with the real constructor's scopes and parameters, pointed at the fakes.
func provider(kind string, prov *oauthfake.Provider, imapPort, smtpPort int) *email.OAuthProvider {
	var p *email.OAuthProvider
	if kind == oauthfake.Google {
		p = email.Gmail(prov.ClientID, prov.ClientSecret)
	} else {
		p = email.Microsoft365(prov.ClientID, prov.ClientSecret, "")
	}
	p.AuthURL, p.TokenURL, p.ProfileURL = prov.Endpoints()
	p.IMAPHost, p.IMAPPort, p.IMAPTLS = "127.0.0.1", imapPort, email.TLSNone
	p.SMTPHost, p.SMTPPort, p.SMTPTLS = "127.0.0.1", smtpPort, email.TLSNone
	return p
}

func newOAuthDesk(t *testing.T, kind, user string) *oauthDesk {
	t.Helper()
	return newOAuthDeskOffering(t, kind, user, email.XOAuth2)
}

// newOAuthDeskOffering is newOAuthDesk with an IMAP server offering only the SASL mechanisms mechs.
func newOAuthDeskOffering(t *testing.T, kind, user string, mechs ...string) *oauthDesk {
	t.Helper()
	prov := oauthfake.New(t, kind, user)
	im := oauthfake.NewIMAP(t, prov, user, mechs...)
	sm := oauthfake.NewSMTP(t, prov)
	set := &email.OAuthSettings{Providers: map[string]*email.OAuthProvider{kind: provider(kind, prov, im.Port, sm.Port)},
		RefreshMargin: time.Second}
	s := testenv.NewStack(t, testenv.WithEmail(email.Settings{IMAP: true, Rescan: 200 * time.Millisecond, VerifyAddresses: true, OAuth: set}))
	set.PublicURL = s.HTTP.URL
	_, token := s.Account("Acme", "professional")
	d := &desk{Stack: s, token: token}
	u := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "ada@acme.test", "name": "Ada Lovelace", "availability": "available"}).Map(t)
	d.agentToken = s.Do(http.MethodPost, "/v1/users/"+u["id"].(string)+"/tokens", token, nil).Map(t)["token"].(string)
	return &oauthDesk{desk: d, prov: prov, imap: im, smtp: sm, set: set, user: user, label: set.Providers[kind].Label}
}

// connect goes through the consent flow as a browser would (start, consent screen, callback) and returns the channel id.
func (o *oauthDesk) connect(t *testing.T, body map[string]any) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	var redirects []string
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		redirects = append(redirects, r.URL.String())
		return nil
	}}
	enc, _ := json.Marshal(body)
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
	authURL := start.Map(t)["authorization_url"].(string)
	res, err = c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	end := readResponse(t, res)
	if end.Status != http.StatusOK || len(redirects) < 2 {
		t.Fatalf("consent flow ended %d after %v: %s", end.Status, redirects, end.Body)
	}
	last := redirects[len(redirects)-1]
	_, id, ok := strings.Cut(last, "#/channels/")
	if !ok {
		t.Fatalf("the callback sent the browser to %s, not a channel", last)
	}
	o.channelID = id
	return id
}

// listenSynced runs the listeners and waits for the mailbox's first sync (mail before it is not imported).
func (o *oauthDesk) listenSynced(t *testing.T, id string) (stop func()) {
	t.Helper()
	stop = o.listen()
	testenv.Eventually(t, 20*time.Second, "the first sync", func() bool {
		st, err := o.Store.LoadIMAPState(context.Background(), id)
		return err == nil && st.UIDValidity != 0
	})
	return stop
}

func (o *oauthDesk) mail(t *testing.T, subject string) {
	t.Helper()
	o.imap.Append(t, fmt.Sprintf("From: Grace Hopper <grace@example.org>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n\r\nbody of %s\r\n",
		o.user, subject, strings.ReplaceAll(subject, " ", "-"), subject))
}

func (o *oauthDesk) ticket(t *testing.T, subject string) domain.Ticket {
	t.Helper()
	var found domain.Ticket
	testenv.Eventually(t, 30*time.Second, "the ticket of "+subject, func() bool {
		for _, tk := range o.tickets(t) {
			if tk.Subject == subject {
				found = tk
				return true
			}
		}
		return false
	})
	return found
}

// TestOAuthMailboxConnectReceiveReply: for each provider, an admin connects a mailbox through the
// consent flow (PKCE, offline access, the provider's scopes); the channel's address is the account the
// provider names, proven by the consent (connected though verification is required); the refresh token is
// never shown; mail arrives over IMAP IDLE with XOAUTH2 and the agent's reply leaves over SMTP with XOAUTH2.
func TestOAuthMailboxConnectReceiveReply(t *testing.T) {
	for _, kind := range []string{oauthfake.Google, oauthfake.Microsoft} {
		t.Run(kind, func(t *testing.T) {
			o := newOAuthDesk(t, kind, "support@"+kind+".test")
			if r := o.Do(http.MethodPost, "/v1/email/oauth/authorizations", o.token, map[string]any{"provider": "yahoo", "name": "x"}); r.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(string(r.Body), "provider") {
				t.Fatalf("an unknown provider: %d %s", r.Status, r.Body)
			}
			if r := o.Do(http.MethodPost, "/v1/email/oauth/authorizations", o.token, map[string]any{"provider": kind}); r.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(string(r.Body), `"name"`) {
				t.Fatalf("no name and no channel: %d %s", r.Status, r.Body)
			}
			id := o.connect(t, map[string]any{"provider": kind, "name": "Support"})
			q := o.prov.Authorizations()[0]
			if q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != o.HTTP.URL+email.OAuthCallbackPath {
				t.Fatalf("consent request %v", q)
			}
			r := o.Do(http.MethodGet, "/v1/channels/"+id, o.token, nil)
			ch := r.Map(t)
			cfg := ch["config"].(map[string]any)
			if ch["status"] != "connected" || ch["verified_by"] != "oauth:"+kind || cfg["address"] != o.user ||
				cfg["oauth"].(map[string]any)["account"] != o.user {
				t.Fatalf("connected channel: %s", r.Body)
			}
			if strings.Contains(string(r.Body), "refresh") || strings.Contains(string(r.Body), "access_token") {
				t.Fatalf("the channel shows a token: %s", r.Body)
			}
			// The address is the provider's, never a typed one.
			if r := o.Do(http.MethodPatch, "/v1/channels/"+id, o.token, map[string]any{"config": map[string]any{"address": "other@example.com"}}); r.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(string(r.Body), "config.address") {
				t.Fatalf("changing the address: %d %s", r.Status, r.Body)
			}
			stop := o.listen()
			defer stop()
			ctx := context.Background()
			testenv.Eventually(t, 20*time.Second, "the first sync", func() bool {
				st, err := o.Store.LoadIMAPState(ctx, id)
				return err == nil && st.UIDValidity != 0
			})
			o.mail(t, "Where is my order")
			tk := o.ticket(t, "Where is my order")
			rep := o.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", o.agentToken, map[string]any{"text": "It ships today"})
			if rep.Status != http.StatusCreated {
				t.Fatalf("reply: %d %s", rep.Status, rep.Body)
			}
			testenv.Eventually(t, 30*time.Second, "the reply at the provider's SMTP", func() bool {
				for _, m := range o.smtp.Received() {
					if strings.Contains(m.Data, "It ships today") {
						return m.User == o.user && m.From == o.user
					}
				}
				return false
			})
		})
	}
}

// TestOAuthTokenExpiresMidIdle: access tokens live 3 s; the IMAP session ends when its token
// expires (the server drops it, as Exchange Online does), the poller logs in again with a refreshed
// token, and no mail is lost: mail before the expiry and after the new login is imported.
func TestOAuthTokenExpiresMidIdle(t *testing.T) {
	o := newOAuthDesk(t, oauthfake.Microsoft, "help@contoso.test")
	o.prov.SetTTL(3 * time.Second)
	id := o.connect(t, map[string]any{"provider": oauthfake.Microsoft, "name": "Help"})
	stop := o.listenSynced(t, id)
	defer stop()
	o.mail(t, "before expiry")
	o.ticket(t, "before expiry")
	logins := o.imap.Logins()
	// The first token expired: its session is gone and the poller logged in again with a refreshed one.
	testenv.Eventually(t, 20*time.Second, "a login after the first token expired", func() bool { return o.imap.Logins() > logins })
	o.mail(t, "after expiry")
	o.ticket(t, "after expiry")
	testenv.Eventually(t, 20*time.Second, "a login with a refreshed token", func() bool {
		return o.imap.Logins() > logins && o.prov.Refreshes() >= 2 // one for Graph's /me at connect, then the mail token
	})
	o.mail(t, "later still")
	o.ticket(t, "later still")
	if h := o.channelHealthOf(t, id); h["state"] != "ok" {
		t.Fatalf("health after token renewals: %v", h)
	}
}

// TestOAuthRevokedGrant: when the refresh token is revoked, the next refresh is refused
// (invalid_grant): the channel is failing at once with a reason that says to reconnect, the admins
// are emailed once, and connecting the mailbox again through the flow makes it work again.
func TestOAuthRevokedGrant(t *testing.T) {
	o := newOAuthDesk(t, oauthfake.Google, "support@gmail.test")
	o.prov.SetTTL(2 * time.Second)
	o.admin(t, "boss@acme.test")
	id := o.connect(t, map[string]any{"provider": oauthfake.Google, "name": "Support"})
	stop := o.listenSynced(t, id)
	defer stop()
	o.mail(t, "first")
	o.ticket(t, "first")
	o.prov.Revoke(o.user)
	var h map[string]any
	testenv.Eventually(t, 30*time.Second, "the channel failing", func() bool {
		h = o.channelHealthOf(t, id)
		return h["state"] == "failing"
	})
	reason, _ := h["reason"].(string)
	if !strings.Contains(reason, "invalid_grant") || !strings.Contains(reason, "Reconnect Gmail") {
		t.Fatalf("failing reason %q", reason)
	}
	testenv.Eventually(t, 20*time.Second, "the admin's alert", func() bool { return len(o.alerts("boss@acme.test")) == 1 })
	refreshes := o.prov.Refreshes()
	// Not a synchronisation: the window in which a second alert or a refresh would (wrongly) happen.
	time.Sleep(3 * time.Second)
	if n := len(o.alerts("boss@acme.test")); n != 1 {
		t.Fatalf("%d alerts, want 1", n)
	}
	if o.prov.Refreshes() != refreshes {
		t.Fatal("the refused grant is still refreshed")
	}
	// Reconnect: the consent flow for the same channel.
	o.connect(t, map[string]any{"provider": oauthfake.Google, "channel_id": id})
	o.mail(t, "after reconnect")
	o.ticket(t, "after reconnect")
	testenv.Eventually(t, 20*time.Second, "the channel ok again", func() bool { return o.channelHealthOf(t, id)["state"] == "ok" })
}

// TestOAuthRefreshOncePerGrant: two servers (two email channels over one database, each with its own
// token cache) needing a token at once after it expired refresh it once between them.
func TestOAuthRefreshOncePerGrant(t *testing.T) {
	o := newOAuthDesk(t, oauthfake.Google, "support@gmail.test")
	o.prov.SetTTL(3 * time.Second) // renewed within the last second (RefreshMargin)
	id := o.connect(t, map[string]any{"provider": oauthfake.Google, "name": "Support"})
	cfg := &email.Config{Address: o.user, OAuth: &email.OAuth{Provider: oauthfake.Google, Account: o.user}}
	servers := []*email.Channel{email.New(o.Store, nil, email.Settings{OAuth: o.set}), email.New(o.Store, nil, email.Settings{OAuth: o.set})}
	testenv.Eventually(t, 10*time.Second, "the access token within its refresh margin", func() bool {
		var due bool
		err := o.Store.DB().QueryRow(`SELECT access_expires_at < now() + interval '1 second' FROM email_oauth_grants WHERE channel_id = $1`, id).Scan(&due)
		return err == nil && due
	})
	before := o.prov.Refreshes()
	var wg sync.WaitGroup
	tokens := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, tok, _, err := servers[i%2].MailboxToken(context.Background(), id, cfg)
			if err != nil {
				t.Error(err)
			}
			tokens <- tok
		}()
	}
	wg.Wait()
	close(tokens)
	if n := o.prov.Refreshes() - before; n != 1 {
		t.Fatalf("%d refreshes for 8 requests on 2 servers, want 1", n)
	}
	for tok := range tokens {
		if _, _, ok := o.prov.MailUser(tok); !ok {
			t.Fatal("a server was given a token the provider does not accept")
		}
	}
}

// channelHealthOf is the health object of channel id.
func (o *oauthDesk) channelHealthOf(t *testing.T, id string) map[string]any {
	t.Helper()
	o.channelID = id
	return o.channelHealth(t)
}

// readResponse reads and closes res.
func readResponse(t *testing.T, res *http.Response) testenv.Response {
	t.Helper()
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return testenv.Response{Status: res.StatusCode, Header: res.Header, Body: body}
}
