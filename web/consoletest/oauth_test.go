package consoletest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/oauthfake"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConsoleConnectsGmail: in the email form an admin clicks Connect Gmail, goes through the
// (local) provider's consent screen and lands on the new channel, which shows the connected account
// and its health; once the grant is revoked, the channel shows the reason and a Reconnect Gmail button.
func TestConsoleConnectsGmail(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	const user = "support@gmail.test"
	prov := oauthfake.New(t, oauthfake.Google, user)
	im := oauthfake.NewIMAP(t, prov, user, "XOAUTH2")
	sm := oauthfake.NewSMTP(t, prov)
	gmail := registry.GmailProvider(prov.ClientID, prov.ClientSecret)
	gmail.AuthURL, gmail.TokenURL, gmail.ProfileURL = prov.Endpoints()
	gmail.IMAPHost, gmail.IMAPPort, gmail.IMAPTLS = "127.0.0.1", im.Port, "none"
	gmail.SMTPHost, gmail.SMTPPort, gmail.SMTPTLS = "127.0.0.1", sm.Port, "none"
	set := &registry.EmailOAuthSettings{Providers: map[string]*registry.EmailOAuthProvider{registry.EmailOAuthGmail: gmail}, RefreshMargin: time.Second}
	st := testenv.NewStack(t, testenv.WithEmail(registry.EmailSettings{VerifyAddresses: true, OAuth: set, IMAP: true, Rescan: 200 * time.Millisecond}))
	set.PublicURL = st.HTTP.URL
	prov.SetTTL(2 * time.Second) // the poller renews its token every few seconds
	listenCtx, stopListening := context.WithCancel(context.Background())
	listening := make(chan error, 1)
	go func() { listening <- st.API.Listen(listenCtx) }()
	t.Cleanup(func() { stopListening(); <-listening })
	_, token := st.Account("Mail Co", "enterprise")

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.Do("open the console", chromedp.Navigate(st.HTTP.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	p.Do("log in", chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the queue", `location.hash === '#/queue' && document.querySelector('h1').textContent === 'Queue'`)
	p.open("#/channels/new", "Connect a channel")
	p.choose(`[data-field="type"]`, "email")
	p.Until("the email form's IMAP, SMTP TLS and provider fields", `!!document.querySelector('[data-field="config.imap.host"]') && !!document.querySelector('[data-field="config.imap.tls"]')
		&& !!document.querySelector('[data-field="config.smtp.tls"]') && !!document.querySelector('button[data-provider="microsoft365"]')`)
	p.Do("name the channel and connect Gmail", chromedp.SendKeys(chromedp.CSS(`[data-field="name"]`), "Support inbox"),
		chromedp.Click(chromedp.CSS(`button[data-provider="gmail"]`)))
	p.untilAfterNavigation("back on the connected channel", `location.hash.startsWith('#/channels/ch_') && document.querySelector('#mailbox-account')
		&& document.querySelector('#mailbox-account').textContent.includes(`+quote(user)+`)`)
	p.Screenshot("mailbox-connected")
	var chs struct {
		Items []struct {
			ID, Name, Status string
			VerifiedBy       string `json:"verified_by"`
			Config           map[string]any
		}
	}
	st.Do(http.MethodGet, "/v1/channels", token, nil).JSON(t, &chs)
	if len(chs.Items) != 1 || chs.Items[0].Name != "Support inbox" || chs.Items[0].Status != "connected" || chs.Items[0].VerifiedBy != "oauth:gmail" || chs.Items[0].Config["address"] != user {
		t.Fatalf("channel as stored: %+v", chs.Items)
	}
	if q := prov.Authorizations(); len(q) != 1 || q[0].Get("access_type") != "offline" || q[0].Get("code_challenge_method") != "S256" {
		t.Fatalf("consent requests: %v", q)
	}

	// Revoked: the next refresh is refused and the channel asks for a reconnect.
	prov.Revoke(user)
	testenv.Eventually(t, 30*time.Second, "the channel failing", func() bool {
		h, _ := st.Do(http.MethodGet, "/v1/channels/"+chs.Items[0].ID, token, nil).Map(t)["health"].(map[string]any)
		return h != nil && h["state"] == "failing"
	})
	p.open("#/channels", "Channels")
	p.open("#/channels/"+chs.Items[0].ID, "Edit Support inbox")
	p.Until("the reason and the Reconnect button", `document.querySelector('#mailbox-reason') && document.querySelector('#mailbox-reason').textContent.includes('invalid_grant')
		&& [...document.querySelectorAll('#mailbox-connect button')].some((b) => b.textContent === 'Reconnect Gmail')`)
	p.Screenshot("mailbox-reconnect")
}

// untilAfterNavigation waits until expr is true while the tab navigates away and back (a consent screen):
// evaluations that a navigation interrupts are tried again.
func (p page) untilAfterNavigation(what, expr string) {
	p.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.T.Fatalf("waiting for %s: %v\nthe page shows:\n%s", what, err, p.Eval(`document.body ? document.body.innerText : ''`))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
