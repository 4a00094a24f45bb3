package meta

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
)

// Handshake answers Meta's subscription GET: it returns hub.challenge when hub.mode is "subscribe" and hub.verify_token equals verifyToken.
//
// An empty verifyToken never matches, nor does an empty challenge. The caller
// should write the challenge back as text/plain.
func Handshake(q url.Values, verifyToken string) (challenge string, ok bool) {
	if verifyToken == "" || q.Get("hub.mode") != "subscribe" {
		return "", false
	}
	// Hash both sides so the comparison takes the same time whatever the lengths.
	got := sha256.Sum256([]byte(q.Get("hub.verify_token")))
	want := sha256.Sum256([]byte(verifyToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return "", false
	}
	challenge = q.Get("hub.challenge")
	if challenge == "" {
		return "", false
	}
	return challenge, true
}
