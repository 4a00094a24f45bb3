package consoletest

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/oauthfake"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConsoleConnectsMicrosoft365: in the email form an admin clicks Connect
// Microsoft 365, goes through the (local) Microsoft identity platform's consent
// screen (PKCE, offline_access, the Outlook IMAP and SMTP scopes) and lands on the
// new channel, which shows the connected account and a Reconnect Microsoft 365 button.
func TestConsoleConnectsMicrosoft365(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	const user = "help@contoso.test"
	prov := oauthfake.New(t, oauthfake.Microsoft, user)
	im := oauthfake.NewIMAP(t, prov, user, "XOAUTH2")
	sm := oauthfake.NewSMTP(t, prov)
	m365 := registry.Microsoft365Provider(prov.ClientID, prov.ClientSecret, "")
	m365.AuthURL, m365.TokenURL, m365.ProfileURL = prov.Endpoints()
	m365.IMAPHost, m365.IMAPPort, m365.IMAPTLS = "127.0.0.1", im.Port, "none"
	m365.SMTPHost, m365.SMTPPort, m365.SMTPTLS = "127.0.0.1", sm.Port, "none"
	set := &registry.EmailOAuthSettings{Providers: map[string]*registry.EmailOAuthProvider{registry.EmailOAuthMicrosoft365: m365}, RefreshMargin: time.Second}
	st := testenv.NewStack(t, testenv.WithEmail(registry.EmailSettings{VerifyAddresses: true, OAuth: set, IMAP: true, Rescan: 200 * time.Millisecond}))
	set.PublicURL = st.HTTP.URL
	listenCtx, stopListening := context.WithCancel(context.Background())
	listening := make(chan error, 1)
	go func() { listening <- st.API.Listen(listenCtx) }()
	t.Cleanup(func() { stopListening(); <-listening })
	_, token := st.Account("Contoso", "enterprise")

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.Do("open the console", chromedp.Navigate(st.HTTP.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	p.Do("log in", chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the queue", `location.hash === '#/queue' && document.querySelector('h1').textContent === 'Queue'`)
	p.open("#/channels/new", "Connect a channel")
	p.choose(`[data-field="type"]`, "email")
	p.Until("the Connect Microsoft 365 button", `!!document.querySelector('button[data-provider="microsoft365"]')`)
	p.Do("name the channel and connect Microsoft 365", chromedp.SendKeys(chromedp.CSS(`[data-field="name"]`), "Contoso help"),
		chromedp.Click(chromedp.CSS(`button[data-provider="microsoft365"]`)))
	p.untilAfterNavigation("back on the connected channel", `location.hash.startsWith('#/channels/ch_') && document.querySelector('#mailbox-account')
		&& document.querySelector('#mailbox-account').textContent.includes(`+quote(user)+`)
		&& document.querySelector('#mailbox-account').textContent.includes('Microsoft 365')`)
	p.Until("the Reconnect Microsoft 365 button", `[...document.querySelectorAll('#mailbox-connect button')].some((b) => b.textContent === 'Reconnect Microsoft 365')`)
	p.Screenshot("m365-connected")
	var chs struct {
		Items []struct {
			Name, Status string
			VerifiedBy   string `json:"verified_by"`
			Config       map[string]any
		}
	}
	st.Do(http.MethodGet, "/v1/channels", token, nil).JSON(t, &chs)
	if len(chs.Items) != 1 || chs.Items[0].Name != "Contoso help" || chs.Items[0].Status != "connected" ||
		chs.Items[0].VerifiedBy != "oauth:microsoft365" || chs.Items[0].Config["address"] != user {
		t.Fatalf("channel as stored: %+v", chs.Items)
	}
	q := prov.Authorizations()
	if len(q) != 1 || q[0].Get("code_challenge_method") != "S256" || q[0].Get("redirect_uri") != st.HTTP.URL+"/v1/email/oauth/callback" {
		t.Fatalf("consent requests: %v", q)
	}
	for _, scope := range []string{"offline_access", "https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send"} {
		if !slices.Contains(strings.Fields(q[0].Get("scope")), scope) {
			t.Fatalf("consent scope %q lacks %s", q[0].Get("scope"), scope)
		}
	}
}
