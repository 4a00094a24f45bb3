package chat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Token lifetimes.
const (
	// TokenTTL is how long a visitor token is valid; the widget refreshes it at POST sessions.
	TokenTTL = time.Hour
	// RefreshWindow is how long after it expired a token may still be exchanged for a new one.
	RefreshWindow = 30 * 24 * time.Hour
)

// tokenPrefix starts every visitor token (and its format's version).
const tokenPrefix = "rvt1."

// claims is what a visitor token says.
type claims struct {
	Channel string `json:"c"`
	Visitor string `json:"v"`
	Expires int64  `json:"exp"`
}

// Token errors.
var (
	errBadToken     = errors.New("the visitor token is missing, malformed or not signed for this channel")
	errExpiredToken = errors.New("the visitor token has expired: exchange it at POST sessions")
)

// signToken returns a token for visitor on channel, signed with key, expiring at exp.
func signToken(key []byte, channel, visitor string, exp time.Time) string {
	payload, _ := json.Marshal(claims{Channel: channel, Visitor: visitor, Expires: exp.Unix()})
	body := base64.RawURLEncoding.EncodeToString(payload)
	return tokenPrefix + body + "." + base64.RawURLEncoding.EncodeToString(mac(key, body))
}

// parseToken checks tok's signature with key and that it names channel; it
// returns the claims, and errExpiredToken (with them) once it expired at now.
func parseToken(key []byte, channel, tok string, now time.Time) (claims, error) {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return claims{}, errBadToken
	}
	body, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return claims{}, errBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, body)) {
		return claims{}, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return claims{}, errBadToken
	}
	var c claims
	if err := json.Unmarshal(raw, &c); err != nil || c.Channel != channel || c.Visitor == "" {
		return claims{}, errBadToken
	}
	if now.Unix() >= c.Expires {
		return c, errExpiredToken
	}
	return c, nil
}

// mac is HMAC-SHA256 of the token body, domain-separated from other uses of the key.
func mac(key []byte, body string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("routedesk chat visitor token\x00"))
	h.Write([]byte(body))
	return h.Sum(nil)
}

// UserHash is the identity hash a site sends for a logged-in visitor: hex(HMAC-SHA256(secret, email)).
func UserHash(secret, email string) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(email))
	return hex.EncodeToString(h.Sum(nil))
}

// userHashValid compares a site's user_hash with the expected one in constant time.
func userHashValid(secret, email, userHash string) bool {
	want := UserHash(secret, email)
	return hmac.Equal([]byte(strings.ToLower(userHash)), []byte(want))
}
