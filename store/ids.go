package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/google/uuid"
)

// NewID returns a new time-ordered id with a type prefix, e.g. "tkt_0193…".
// Ids sort by creation time, which keyset pagination relies on.
func NewID(prefix string) string {
	return prefix + "_" + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")
}

// NewToken returns a new random API token (256 bits, URL-safe).
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "rdk_" + base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how tokens are stored: SHA-256 of a 256-bit random token
// cannot be brute-forced, so no slow hash is needed.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// keyHash is what long keys (thread keys, identity values) are unique on: the
// SHA-256 of their UTF-8, since a key may be longer than a btree index row can hold.
func keyHash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}
