package csat

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// AnswerWindow is how long after its invitation went out a survey takes answers (the last one wins);
// past it the rating link answers 410.
const AnswerWindow = 7 * 24 * time.Hour

// tokenPrefix starts every rating token (and names its format's version).
const tokenPrefix = "rcs1."

// keyInfo separates the rating-link key from every other key derived from ROUTEDESK_SECRET_KEY.
const keyInfo = "routedesk csat rating link v1"

// Token errors.
var (
	// ErrBadToken means the token is malformed or not signed by this server's key.
	ErrBadToken = errors.New("the rating link is malformed or was not issued by this help desk")
	// ErrExpired means the token was good but its answer window is over.
	ErrExpired = errors.New("the rating link has expired: ratings are taken for 7 days after the invitation")
)

// Claims is what a rating token says: the survey's ticket and account, and when it expires.
type Claims struct {
	TicketID  string `json:"t"`
	AccountID string `json:"a"`
	Expires   int64  `json:"exp"`
}

// Links signs and checks rating tokens and builds the public rating URL.
type Links struct {
	key  []byte
	base atomic.Pointer[string]
}

// NewLinks derives the rating-link key from secret (ROUTEDESK_SECRET_KEY, at least 32 bytes); baseURL is
// the API's public base URL (ROUTEDESK_PUBLIC_URL), "" when unknown.
func NewLinks(secret []byte, baseURL string) (*Links, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("csat links: secret is %d bytes, want at least 32", len(secret))
	}
	key, err := hkdf.Key(sha256.New, secret, nil, keyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("csat links: derive key: %w", err)
	}
	l := &Links{key: key}
	l.SetBaseURL(baseURL)
	return l, nil
}

// SetBaseURL sets the public base URL of rating links (a test's server, once it listens).
func (l *Links) SetBaseURL(u string) {
	u = strings.TrimRight(u, "/")
	l.base.Store(&u)
}

// BaseURL is the public base URL of rating links; "" when none is configured.
func (l *Links) BaseURL() string {
	if p := l.base.Load(); p != nil {
		return *p
	}
	return ""
}

// Sign returns the rating token of ticketID's survey, expiring at exp.
func (l *Links) Sign(accountID, ticketID string, exp time.Time) string {
	payload, _ := json.Marshal(Claims{TicketID: ticketID, AccountID: accountID, Expires: exp.Unix()})
	body := base64.RawURLEncoding.EncodeToString(payload)
	return tokenPrefix + body + "." + base64.RawURLEncoding.EncodeToString(l.mac(body))
}

// URL is the public rating page of token; "" when no base URL is configured.
func (l *Links) URL(token string) string {
	base := l.BaseURL()
	if base == "" {
		return ""
	}
	return base + "/csat/" + token
}

// Parse checks tok's signature and returns its claims; ErrExpired (with the claims) once it expired at now.
func (l *Links) Parse(tok string, now time.Time) (Claims, error) {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok || len(tok) > 1000 {
		return Claims{}, ErrBadToken
	}
	body, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return Claims{}, ErrBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, l.mac(body)) {
		return Claims{}, ErrBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Claims{}, ErrBadToken
	}
	var c Claims
	if err := json.Unmarshal(raw, &c); err != nil || c.TicketID == "" || c.AccountID == "" {
		return Claims{}, ErrBadToken
	}
	if now.Unix() >= c.Expires {
		return c, ErrExpired
	}
	return c, nil
}

// mac is HMAC-SHA256 of a token's body under the derived key.
func (l *Links) mac(body string) []byte {
	h := hmac.New(sha256.New, l.key)
	h.Write([]byte(body))
	return h.Sum(nil)
}
