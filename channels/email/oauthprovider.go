package email

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/routedesk/routedesk/internal/egress"
)

// OAuth providers of config.oauth.provider (the mailbox's consent screen).
const (
	OAuthGmail        = "gmail"
	OAuthMicrosoft365 = "microsoft365"
)

// OAuthCallbackPath is the callback route; the redirect URI registered with each provider is ROUTEDESK_PUBLIC_URL + this path.
const OAuthCallbackPath = "/v1/email/oauth/callback"

// OAuthProvider is one mailbox provider's OAuth 2.0 application and the servers its mailboxes use.
type OAuthProvider struct {
	// Name is OAuthGmail or OAuthMicrosoft365; Label names it for people.
	Name, Label string
	// ClientID and ClientSecret are the operator's application at the provider.
	ClientID, ClientSecret string
	// AuthURL and TokenURL are the provider's authorization and token endpoints.
	AuthURL, TokenURL string
	// Scopes are asked for on the consent screen.
	Scopes []string
	// TokenScopes, when set, are sent as the scope of the code exchange and of each refresh
	// (Microsoft's v2.0 endpoint issues a token for one resource at a time and wants the scope on refresh).
	TokenScopes []string
	// AuthParams are extra parameters of the authorization URL (offline access, the consent prompt).
	AuthParams map[string]string
	// ProfileURL answers who the token belongs to (Google's userinfo, Microsoft Graph's /me).
	ProfileURL string
	// ProfileScopes, when set, are the scope of a separate token for ProfileURL (Graph's User.Read).
	ProfileScopes []string
	// IMAP and SMTP servers of the provider's mailboxes.
	IMAPHost string
	IMAPPort int
	IMAPTLS  string
	SMTPHost string
	SMTPPort int
	SMTPTLS  string
	// ConfigProvider is what config.provider becomes (gmail or office365).
	ConfigProvider string
}

// Gmail is Google's provider for Gmail and Google Workspace mailboxes: https://mail.google.com/ is the
// scope IMAP and SMTP XOAUTH2 need; openid and email let userinfo name the account.
func Gmail(clientID, clientSecret string) *OAuthProvider {
	return &OAuthProvider{Name: OAuthGmail, Label: "Gmail", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://accounts.google.com/o/oauth2/v2/auth", TokenURL: "https://oauth2.googleapis.com/token",
		Scopes:     []string{"https://mail.google.com/", "openid", "email"},
		AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
		ProfileURL: "https://openidconnect.googleapis.com/v1/userinfo",
		IMAPHost:   "imap.gmail.com", IMAPPort: 993, IMAPTLS: TLSImplicit,
		SMTPHost: "smtp.gmail.com", SMTPPort: 587, SMTPTLS: TLSStartTLS, ConfigProvider: ProviderGmail}
}

// Microsoft365 is Microsoft's provider for Exchange Online mailboxes of tenant ("organizations" when empty:
// any work or school account; a tenant id or domain restricts the consent to one).
func Microsoft365(clientID, clientSecret, tenant string) *OAuthProvider {
	if tenant == "" {
		tenant = "organizations"
	}
	base := "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/"
	mail := []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send", "offline_access"}
	return &OAuthProvider{Name: OAuthMicrosoft365, Label: "Microsoft 365", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: base + "authorize", TokenURL: base + "token",
		Scopes:      append(append([]string{}, mail...), "https://graph.microsoft.com/User.Read"),
		TokenScopes: mail, AuthParams: map[string]string{"prompt": "select_account"},
		ProfileURL: "https://graph.microsoft.com/v1.0/me", ProfileScopes: []string{"https://graph.microsoft.com/User.Read"},
		IMAPHost: "outlook.office365.com", IMAPPort: 993, IMAPTLS: TLSImplicit,
		SMTPHost: "smtp.office365.com", SMTPPort: 587, SMTPTLS: TLSStartTLS, ConfigProvider: ProviderOffice365}
}

// OAuthSettings are the server's mailbox providers (ROUTEDESK_GMAIL_CLIENT_ID, ROUTEDESK_MICROSOFT365_CLIENT_ID …).
type OAuthSettings struct {
	// Providers are the configured providers by Name; a provider without one cannot be connected.
	Providers map[string]*OAuthProvider
	// PublicURL is the API's public base URL (ROUTEDESK_PUBLIC_URL): the redirect URI is PublicURL + OAuthCallbackPath.
	PublicURL string
	// HTTP calls the providers' token and profile endpoints; nil: the egress policy's transport with a 20 s timeout.
	HTTP *http.Client
	// RefreshMargin is how long before its expiry an access token is renewed (default 5 minutes).
	RefreshMargin time.Duration
	// FlowTTL is how long a consent may take (default 15 minutes).
	FlowTTL time.Duration
}

func (s *OAuthSettings) withDefaults() {
	if s.HTTP == nil {
		s.HTTP = &http.Client{Timeout: 20 * time.Second, Transport: egress.Transport()}
	}
	if s.RefreshMargin <= 0 {
		s.RefreshMargin = 5 * time.Minute
	}
	if s.FlowTTL <= 0 {
		s.FlowTTL = 15 * time.Minute
	}
}

// redirectURL is the callback URL registered with the providers.
func (s *OAuthSettings) redirectURL() string {
	return strings.TrimRight(s.PublicURL, "/") + OAuthCallbackPath
}

// config is p's x/oauth2 configuration.
func (s *OAuthSettings) config(p *OAuthProvider, scopes []string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: s.redirectURL(), Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
}

// tokenContext carries the HTTP client x/oauth2 uses for p's token endpoint; a refresh carries scopes (when
// set) because x/oauth2 sends none on refresh and Microsoft's endpoint wants one (golang/oauth2#540).
func (s *OAuthSettings) tokenContext(ctx context.Context, scopes []string) context.Context {
	hc := s.HTTP
	if len(scopes) > 0 {
		copied := *hc
		base := hc.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		copied.Transport = refreshScope{base: base, scope: strings.Join(scopes, " ")}
		hc = &copied
	}
	return context.WithValue(ctx, oauth2.HTTPClient, hc)
}

// refreshScope adds scope to refresh-token requests that have none.
type refreshScope struct {
	base  http.RoundTripper
	scope string
}

// RoundTrip implements http.RoundTripper.
func (r refreshScope) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.Body == nil {
		return r.base.RoundTrip(req)
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	_ = req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read token request: %w", err)
	}
	form, err := url.ParseQuery(string(body))
	if err == nil && form.Get("grant_type") == "refresh_token" && form.Get("scope") == "" {
		form.Set("scope", r.scope)
		body = []byte(form.Encode())
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return r.base.RoundTrip(out)
}

// profileAddress asks the provider whose mailbox token opens: Google's userinfo (a verified email) or
// Graph's /me (mail, else userPrincipalName). Two attempts, the second after a second.
func (s *OAuthSettings) profileAddress(ctx context.Context, p *OAuthProvider, token string) (string, error) {
	var addr string
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		var retry bool
		addr, retry, err = s.profileOnce(ctx, p, token)
		if err == nil || !retry || attempt == 2 {
			break
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return addr, err
}

func (s *OAuthSettings) profileOnce(ctx context.Context, p *OAuthProvider, token string) (addr string, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.ProfileURL, nil)
	if err != nil {
		return "", false, fmt.Errorf("%s profile request: %w", p.Label, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	res, err := s.HTTP.Do(req)
	if err != nil {
		return "", true, fmt.Errorf("%s profile: %w", p.Label, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return "", true, fmt.Errorf("%s profile: %w", p.Label, err)
	}
	if res.StatusCode != http.StatusOK {
		return "", res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("%s profile answered %d: %s", p.Label, res.StatusCode, truncate(string(body), 200))
	}
	var prof struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		Mail          string `json:"mail"`
		UPN           string `json:"userPrincipalName"`
	}
	if err := json.Unmarshal(body, &prof); err != nil {
		return "", false, fmt.Errorf("%s profile is not JSON: %w", p.Label, err)
	}
	switch p.Name {
	case OAuthGmail:
		if prof.EmailVerified != nil && !*prof.EmailVerified {
			return "", false, fmt.Errorf("%s says the account's address %s is not verified", p.Label, prof.Email)
		}
		addr = prof.Email
	default:
		addr = prof.Mail
		if addr == "" {
			addr = prof.UPN
		}
	}
	if addr == "" {
		return "", false, errors.New(p.Label + " did not name the account's address")
	}
	return addr, false, nil
}
