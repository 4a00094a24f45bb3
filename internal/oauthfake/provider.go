// Package oauthfake is a local stand-in for Google's and Microsoft's OAuth 2.0 authorization
// servers and their mailboxes, so tests connect Gmail and Microsoft 365 mailboxes without
// reaching either: an authorization server (httptest) with each provider's endpoint paths,
// parameters, token answers and error codes as their public documentation gives them, and IMAP
// and SMTP servers that accept SASL XOAUTH2 and OAUTHBEARER only with a currently valid token.
package oauthfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kinds of authorization server.
const (
	Google    = "gmail"
	Microsoft = "microsoft365"
)

// Audiences of access tokens: Google's tokens carry scopes; Microsoft's are for one resource.
const (
	audienceMail  = "mail"
	audienceGraph = "graph"
)

// Provider is a fake authorization server of Kind for one signed-in user.
type Provider struct {
	Kind string
	// URL is the server's base URL.
	URL          string
	ClientID     string
	ClientSecret string
	// TTL is the life of the access tokens it issues (default 1 hour).
	TTL time.Duration
	// Deny makes the consent screen answer error=access_denied.
	Deny bool

	mu        sync.Mutex
	user      string
	codes     map[string]codeGrant
	refresh   map[string]string // refresh token → user ("" when revoked)
	access    map[string]accessGrant
	refreshes int
	authorize []url.Values
	srv       *httptest.Server
}

type codeGrant struct {
	user, redirect, challenge, scope string
}

type accessGrant struct {
	user, audience string
	expiry         time.Time
}

// New starts a fake authorization server of kind (Google or Microsoft) whose consent screen signs in user.
func New(t testing.TB, kind, user string) *Provider {
	p := &Provider{Kind: kind, ClientID: "client-" + kind, ClientSecret: "secret-" + kind, TTL: time.Hour, user: user,
		codes: map[string]codeGrant{}, refresh: map[string]string{}, access: map[string]accessGrant{}}
	mux := http.NewServeMux()
	if kind == Google {
		mux.HandleFunc("GET /o/oauth2/v2/auth", p.authorizeHandler)
		mux.HandleFunc("POST /token", p.token)
		mux.HandleFunc("GET /v1/userinfo", p.profile)
	} else {
		mux.HandleFunc("GET /organizations/oauth2/v2.0/authorize", p.authorizeHandler)
		mux.HandleFunc("POST /organizations/oauth2/v2.0/token", p.token)
		mux.HandleFunc("GET /v1.0/me", p.profile)
	}
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	return p
}

// Endpoints returns the authorization, token and profile URLs.
func (p *Provider) Endpoints() (auth, token, profile string) {
	if p.Kind == Google {
		return p.URL + "/o/oauth2/v2/auth", p.URL + "/token", p.URL + "/v1/userinfo"
	}
	return p.URL + "/organizations/oauth2/v2.0/authorize", p.URL + "/organizations/oauth2/v2.0/token", p.URL + "/v1.0/me"
}

// SetTTL changes the life of the access tokens issued from now on.
func (p *Provider) SetTTL(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.TTL = d
}

// Revoke revokes every refresh and access token of user, as removing the app's access does.
func (p *Provider) Revoke(user string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for rt, u := range p.refresh {
		if u == user {
			p.refresh[rt] = ""
		}
	}
	for at, g := range p.access {
		if g.user == user {
			delete(p.access, at)
		}
	}
}

// Refreshes counts the refresh-token grants answered with a token.
func (p *Provider) Refreshes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refreshes
}

// Authorizations returns the query of each consent-screen request.
func (p *Provider) Authorizations() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.authorize...)
}

// MailUser returns the user of a currently valid access token for IMAP and SMTP; ok is false for any other token.
func (p *Provider) MailUser(token string) (user string, expiry time.Time, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, found := p.access[token]
	if !found || g.audience != audienceMail || !time.Now().Before(g.expiry) {
		return "", time.Time{}, false
	}
	return g.user, g.expiry, true
}

func (p *Provider) mailScopes() []string {
	if p.Kind == Google {
		return []string{"https://mail.google.com/"}
	}
	return []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send"}
}

// authorizeHandler is the consent screen: it checks the request as the provider would and sends the browser back with a code.
func (p *Provider) authorizeHandler(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.authorize = append(p.authorize, q)
	deny, user := p.Deny, p.user
	p.mu.Unlock()
	redirect := q.Get("redirect_uri")
	switch {
	case q.Get("client_id") != p.ClientID:
		http.Error(w, "Error 401: invalid_client — The OAuth client was not found.", http.StatusUnauthorized)
		return
	case redirect == "" || q.Get("response_type") != "code":
		http.Error(w, "Error 400: invalid_request — missing redirect_uri or response_type=code", http.StatusBadRequest)
		return
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "Error 400: invalid_request — PKCE code_challenge with code_challenge_method=S256 is required", http.StatusBadRequest)
		return
	}
	scopes := strings.Fields(q.Get("scope"))
	for _, want := range p.mailScopes() {
		if !contains(scopes, want) {
			http.Error(w, "Error 400: invalid_scope — missing "+want, http.StatusBadRequest)
			return
		}
	}
	if p.Kind == Google && q.Get("access_type") != "offline" {
		http.Error(w, "test: Google issues no refresh token without access_type=offline", http.StatusBadRequest)
		return
	}
	if p.Kind == Microsoft && !contains(scopes, "offline_access") {
		http.Error(w, "test: Microsoft issues no refresh token without offline_access", http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(redirect)
	v := back.Query()
	v.Set("state", q.Get("state"))
	if deny {
		v.Set("error", "access_denied")
		if p.Kind == Microsoft {
			v.Set("error_description", "AADSTS65004: User declined to consent to access the app.")
		}
	} else {
		code := random()
		p.mu.Lock()
		p.codes[code] = codeGrant{user: user, redirect: redirect, challenge: q.Get("code_challenge"), scope: q.Get("scope")}
		p.mu.Unlock()
		v.Set("code", code)
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token is the token endpoint: authorization_code (with the PKCE verifier) and refresh_token grants.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, http.StatusBadRequest, "invalid_request", "unparseable body", 900144)
		return
	}
	f := r.PostForm
	if f.Get("client_id") != p.ClientID || f.Get("client_secret") != p.ClientSecret {
		p.fail(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.", 7000215)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch f.Get("grant_type") {
	case "authorization_code":
		g, ok := p.codes[f.Get("code")]
		delete(p.codes, f.Get("code"))
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		switch {
		case !ok:
			p.fail(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.", 70008)
		case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			p.fail(w, http.StatusBadRequest, "invalid_grant", "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.", 501481)
		case f.Get("redirect_uri") != g.redirect:
			p.fail(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request", 50011)
		default:
			rt := random()
			p.refresh[rt] = g.user
			p.issue(w, g.user, rt, audienceMail, true)
		}
	case "refresh_token":
		user, known := p.refresh[f.Get("refresh_token")]
		audience := audienceMail
		if p.Kind == Microsoft {
			// Microsoft's v2.0 endpoint wants the scope on refresh and issues a token for that one resource.
			scope := f.Get("scope")
			switch {
			case scope == "":
				p.fail(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'.", 900144)
				return
			case strings.Contains(scope, "graph.microsoft.com"):
				audience = audienceGraph
			}
		}
		if !known || user == "" {
			desc := "Token has been expired or revoked."
			if p.Kind == Microsoft {
				desc = "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed."
			}
			p.fail(w, http.StatusBadRequest, "invalid_grant", desc, 50173)
			return
		}
		p.refreshes++
		next := ""
		if p.Kind == Microsoft { // Microsoft rotates the refresh token; the old one stays valid
			next = random()
			p.refresh[next] = user
		}
		p.issue(w, user, next, audience, false)
	default:
		p.fail(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+f.Get("grant_type"), 70003)
	}
}

// issue answers a token (p.mu held).
func (p *Provider) issue(w http.ResponseWriter, user, refresh, audience string, first bool) {
	at := random()
	p.access[at] = accessGrant{user: user, audience: audience, expiry: time.Now().Add(p.TTL)}
	body := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(p.TTL.Seconds())}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	if p.Kind == Google {
		body["scope"] = "https://mail.google.com/ openid https://www.googleapis.com/auth/userinfo.email"
		if first {
			body["id_token"] = "unsigned.test.token"
		}
	} else {
		body["ext_expires_in"] = int(p.TTL.Seconds())
		body["scope"] = strings.Join(p.mailScopes(), " ")
		if audience == audienceGraph {
			body["scope"] = "https://graph.microsoft.com/User.Read"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

// fail answers a token error in the provider's shape.
func (p *Provider) fail(w http.ResponseWriter, status int, code, desc string, aadCode int) {
	body := map[string]any{"error": code, "error_description": desc}
	if p.Kind == Microsoft {
		body["error_codes"] = []int{aadCode}
		body["timestamp"] = time.Now().UTC().Format("2006-01-02 15:04:05Z")
		body["trace_id"], body["correlation_id"] = random(), random()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// profile is Google's userinfo or Graph's /me.
func (p *Provider) profile(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	g, ok := p.access[token]
	p.mu.Unlock()
	want := audienceMail
	if p.Kind == Microsoft {
		want = audienceGraph
	}
	if !ok || g.audience != want || !time.Now().Before(g.expiry) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		if p.Kind == Microsoft {
			_, _ = w.Write([]byte(`{"error":{"code":"InvalidAuthenticationToken","message":"Access token validation failure. Invalid audience."}}`))
		} else {
			_, _ = w.Write([]byte(`{"error":"invalid_request","error_description":"Invalid Credentials"}`))
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if p.Kind == Google {
		_ = json.NewEncoder(w).Encode(map[string]any{"sub": "1" + fmt.Sprint(len(g.user)), "email": g.user, "email_verified": true})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
		"id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd", "displayName": "Support", "mail": g.user, "userPrincipalName": g.user})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func random() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
