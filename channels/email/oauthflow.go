package email

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/store"
)

// OAuthStart asks for a provider's consent screen that connects a mailbox.
type OAuthStart struct {
	// Provider is gmail or microsoft365.
	Provider string `json:"provider" validate:"required,oneof=gmail microsoft365"`
	// ChannelID is the email channel to connect (or reconnect); empty creates a channel named Name.
	ChannelID string `json:"channel_id,omitempty" validate:"max=64"`
	// Name names the channel the consent creates (required without channel_id).
	Name string `json:"name,omitempty" validate:"max=200"`
}

// OAuthStartResponse is where to send the admin's browser: the provider's consent screen.
type OAuthStartResponse struct {
	AuthorizationURL string    `json:"authorization_url"`
	Provider         string    `json:"provider"`
	ExpiresAt        time.Time `json:"expires_at"`
	// RedirectURI is the callback the provider sends the browser back to (registered with the provider).
	RedirectURI string `json:"redirect_uri"`
}

// exchangeTimeout bounds the code exchange and the profile lookup of one callback.
const exchangeTimeout = 30 * time.Second

// oauthRoutes registers the consent flow's start and callback.
func (c *Channel) oauthRoutes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/v1/email/oauth/authorizations", Auth: channels.AuthAdmin, Tag: "channels",
		Summary: "Start connecting a Gmail or Microsoft 365 mailbox: returns the provider's consent URL (OAuth 2.0 with PKCE) to open in the admin's browser",
		Request: OAuthStart{}, Response: OAuthStartResponse{}, Status: http.StatusCreated, Handler: c.startOAuth(h), Problems: []int{http.StatusGone}})
	r.Handle(channels.Route{Method: http.MethodGet, Path: OAuthCallbackPath, Auth: channels.AuthNone, Tag: "channels",
		Summary: "The providers' redirect after consent: connects the mailbox and sends the browser to the channel in the console",
		Query:   []string{"state", "code", "error", "error_description"}, Status: http.StatusSeeOther, Handler: c.oauthCallback(h)})
}

// startOAuth checks the request, stores the flow (state, PKCE verifier, browser cookie) and answers the consent URL.
func (c *Channel) startOAuth(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		ctx := gc.Request.Context()
		var req OAuthStart
		if err := h.DecodeJSON(gc, &req); err != nil {
			h.Fail(gc, err)
			return
		}
		p, err := c.oauthProvider(req.Provider)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		accountID := h.AccountID(gc)
		req.Name = strings.TrimSpace(req.Name)
		switch {
		case req.ChannelID != "":
			ch, err := h.Store().Channel(ctx, accountID, req.ChannelID)
			if err != nil {
				h.Fail(gc, err)
				return
			}
			if ch.Type != string(Type) {
				h.Fail(gc, domain.Invalid("channel_id", fmt.Sprintf("channel %s is a %s channel; mailboxes connect to email channels", ch.ID, ch.Type)))
				return
			}
		case req.Name == "":
			h.Fail(gc, domain.Invalid("name", "is required to create a channel (or give channel_id to connect an existing one)"))
			return
		case !isSingleLine(req.Name):
			h.Fail(gc, domain.Invalid("name", "must be one line of text"))
			return
		}
		state, browser, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
		expires := time.Now().Add(c.oauth.FlowTTL).UTC().Truncate(time.Second)
		if err := c.store.CreateOAuthFlow(ctx, store.OAuthFlow{State: state, AccountID: accountID, ChannelID: req.ChannelID,
			Name: req.Name, Provider: p.Name, Browser: browser, Verifier: verifier, ExpiresAt: expires}); err != nil {
			h.Fail(gc, err)
			return
		}
		// The cookie binds the consent to this browser: a consent URL sent to someone else connects nothing.
		http.SetCookie(gc.Writer, &http.Cookie{Name: flowCookie(state), Value: browser, Path: "/v1/email/oauth/",
			MaxAge: int(c.oauth.FlowTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode,
			Secure: strings.HasPrefix(c.oauth.PublicURL, "https://")})
		opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
		for k, v := range p.AuthParams {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
		gc.JSON(http.StatusCreated, OAuthStartResponse{AuthorizationURL: c.oauth.config(p, p.Scopes).AuthCodeURL(state, opts...),
			Provider: p.Name, ExpiresAt: expires, RedirectURI: c.oauth.redirectURL()})
	}
}

// oauthProvider returns the configured provider name, or why it cannot be used here.
func (c *Channel) oauthProvider(name string) (*OAuthProvider, error) {
	p, ok := c.oauth.Providers[name]
	if !ok || p.ClientID == "" {
		env := "ROUTEDESK_" + strings.ToUpper(name)
		return nil, domain.Invalid("provider", fmt.Sprintf("%s is not set up on this server: the operator sets %s_CLIENT_ID and %s_CLIENT_SECRET (docs/channels/email-oauth.md)",
			name, env, env))
	}
	if c.oauth.PublicURL == "" {
		return nil, domain.Invalid("provider", "connecting a mailbox needs the server's public URL for the provider's redirect: the operator sets ROUTEDESK_PUBLIC_URL")
	}
	return p, nil
}

// oauthCallback finishes a consent: the flow of state (in this browser), the code exchanged with its
// PKCE verifier, the account read from the provider, the channel connected and proven; then the browser
// goes to the channel in the console. A failure is a page (or problem+json) saying what happened.
func (c *Channel) oauthCallback(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		state := gc.Query("state")
		if state == "" || len(state) > 200 {
			c.callbackFailed(gc, h, http.StatusBadRequest, "state", "the consent's answer has no valid state parameter; start again from the console")
			return
		}
		browser, _ := gc.Cookie(flowCookie(state))
		http.SetCookie(gc.Writer, &http.Cookie{Name: flowCookie(state), Value: "", Path: "/v1/email/oauth/", MaxAge: -1, HttpOnly: true})
		flow, err := c.store.TakeOAuthFlow(gc.Request.Context(), state, browser)
		if err != nil {
			if errors.Is(err, domain.ErrNotFound) {
				c.callbackFailed(gc, h, http.StatusBadRequest, "state",
					"this consent expired, was used already or was started in another browser; start again from the console")
				return
			}
			h.Fail(gc, err)
			return
		}
		p, ok := c.oauth.Providers[flow.Provider]
		if !ok {
			c.callbackFailed(gc, h, http.StatusConflict, "provider", flow.Provider+" is no longer set up on this server")
			return
		}
		if e := gc.Query("error"); e != "" {
			c.callbackFailed(gc, h, http.StatusBadRequest, "error", fmt.Sprintf("%s did not give access (%s%s); nothing was connected",
				p.Label, truncate(e, 100), describeSuffix(gc.Query("error_description"))))
			return
		}
		code := gc.Query("code")
		if code == "" || len(code) > 4096 {
			c.callbackFailed(gc, h, http.StatusBadRequest, "code", p.Label+" sent no authorization code; start again from the console")
			return
		}
		ch, err := c.connectMailbox(gc.Request.Context(), h, flow, p, code)
		if err != nil {
			var inv *domain.ValidationError
			var claim *domain.ClaimConflict
			switch {
			case errors.As(err, &claim):
				claim.Field = "config.address"
				c.callbackFailed(gc, h, http.StatusConflict, "config.address", claim.Error())
			case errors.As(err, &inv), errors.Is(err, domain.ErrNotFound), errors.Is(err, domain.ErrConflict):
				h.Fail(gc, err)
			default:
				c.callbackFailed(gc, h, http.StatusBadGateway, "code", err.Error())
			}
			return
		}
		gc.Redirect(http.StatusSeeOther, "/console/#/channels/"+url.PathEscape(ch.ID))
	}
}

// connectMailbox exchanges the code, reads the account and stores the channel with its grant.
func (c *Channel) connectMailbox(ctx context.Context, h channels.Host, flow store.OAuthFlow, p *OAuthProvider, code string) (domain.Channel, error) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(flow.Verifier)}
	if len(p.TokenScopes) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(p.TokenScopes, " ")))
	}
	tok, err := c.oauth.config(p, p.Scopes).Exchange(c.oauth.tokenContext(ctx, nil), code, opts...)
	if err != nil {
		return domain.Channel{}, fmt.Errorf("%s refused the authorization code: %w", p.Label, err)
	}
	if tok.RefreshToken == "" {
		return domain.Channel{}, fmt.Errorf("%s gave no refresh token (offline access was not granted); start again and accept every permission", p.Label)
	}
	profileToken := tok.AccessToken
	if len(p.ProfileScopes) > 0 {
		stale := &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
		pt, err := c.oauth.config(p, p.ProfileScopes).TokenSource(c.oauth.tokenContext(ctx, p.ProfileScopes), stale).Token()
		if err != nil {
			return domain.Channel{}, fmt.Errorf("%s refused a token to read the account's address: %w", p.Label, err)
		}
		profileToken = pt.AccessToken
		if pt.RefreshToken != "" {
			tok.RefreshToken = pt.RefreshToken // Microsoft rotates refresh tokens
		}
	}
	address, err := c.oauth.profileAddress(ctx, p, profileToken)
	if err != nil {
		return domain.Channel{}, err
	}
	cfg := &Config{}
	ch := domain.Channel{Name: flow.Name}
	if flow.ChannelID != "" {
		if ch, err = h.Store().Channel(ctx, flow.AccountID, flow.ChannelID); err != nil {
			return domain.Channel{}, err
		}
		raw, err := h.Config(ctx, ch)
		if err != nil {
			return domain.Channel{}, err
		}
		if current, ok := raw.(*Config); ok {
			cfg = current
		}
	}
	p.apply(cfg, address)
	cfg.ApplyDefaults()
	if errs := cfg.Check(); len(errs) > 0 {
		return domain.Channel{}, &domain.ValidationError{Errors: errs}
	}
	full, err := jsonOf(cfg)
	if err != nil {
		return domain.Channel{}, err
	}
	grant, err := jsonOf(tok)
	if err != nil {
		return domain.Channel{}, err
	}
	saved, err := c.store.ConnectOAuthMailbox(ctx, flow.AccountID, store.OAuthMailbox{ChannelID: flow.ChannelID, Method: "oauth:" + p.Name,
		Write: store.ChannelWrite{Type: string(Type), Name: ch.Name, Full: full, Redacted: channels.Redacted(cfg), ExternalKey: cfg.ExternalKey(),
			TicketDefaults: ch.TicketDefaults, Routing: ch.Routing},
		Grant: store.OAuthGrant{Provider: p.Name, Account: address, Token: grant, AccessExpiresAt: tok.Expiry}})
	if err != nil {
		return domain.Channel{}, err
	}
	c.tokens.mu.Lock()
	delete(c.tokens.m, saved.ID)
	c.tokens.mu.Unlock()
	c.store.RecordHealth(ctx, saved.ID, health.OAuth, nil)
	return saved, nil
}

// apply makes cfg the provider's mailbox at address: the address, the provider's IMAP and SMTP servers
// (keeping the folder, polling and history options) logging in as the account with its access token.
func (p *OAuthProvider) apply(cfg *Config, address string) {
	cfg.Address = address
	cfg.Provider = p.ConfigProvider
	if cfg.Provider == ProviderOffice365 {
		cfg.FromNameMode = "" // Microsoft 365 sends with the mailbox's own name
	}
	cfg.OAuth = &OAuth{Provider: p.Name, Account: address}
	imapCfg := IMAP{}
	if cfg.IMAP != nil {
		imapCfg = *cfg.IMAP
	}
	imapCfg.Host, imapCfg.Port, imapCfg.TLS, imapCfg.Username, imapCfg.Password = p.IMAPHost, p.IMAPPort, p.IMAPTLS, address, ""
	cfg.IMAP = &imapCfg
	cfg.SMTP = &SMTP{Host: p.SMTPHost, Port: p.SMTPPort, TLS: p.SMTPTLS, Username: address}
}

// callbackFailed answers a failed consent: a short page for the browser, problem+json for other clients.
func (c *Channel) callbackFailed(gc *gin.Context, h channels.Host, status int, field, message string) {
	if !strings.Contains(gc.GetHeader("Accept"), "text/html") {
		h.Fail(gc, &domain.ValidationError{Errors: []domain.FieldError{{Field: field, Message: message}}})
		return
	}
	gc.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	gc.Status(status)
	gc.Header("Content-Type", "text/html; charset=utf-8")
	_ = failurePage.Execute(gc.Writer, struct{ Message string }{message})
}

var failurePage = template.Must(template.New("failed").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The mailbox was not connected · routedesk</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>The mailbox was not connected</h1>
<p role="alert" id="oauth-error">{{.Message}}</p>
<p><a href="/console/#/channels">Back to the channels</a></p>
</body></html>`))

// flowCookie names the browser cookie of the flow of state.
func flowCookie(state string) string {
	sum := sha256.Sum256([]byte(state))
	return "routedesk_oauth_" + hex.EncodeToString(sum[:6])
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// describeSuffix is ": description" when the provider gave one.
func describeSuffix(d string) string {
	if d == "" {
		return ""
	}
	return ": " + truncate(d, 300)
}

// isSingleLine reports text without line breaks or control characters.
func isSingleLine(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' })
}

// jsonOf encodes v.
func jsonOf(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return b, nil
}
