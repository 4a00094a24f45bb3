package channels

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"

	"github.com/routedesk/routedesk/domain"
)

// Prover is a channel whose identity (an email address) must be proven before
// inbound traffic reaches it: until then the channel is pending_verification.
type Prover interface {
	// ProofRequired reports whether this install requires proof; false takes every identity as proven.
	ProofRequired() bool
	// SendProof sends code to the identity of ch (configuration cfg, secrets unsealed); the error says why it could not.
	SendProof(ctx context.Context, ch domain.Channel, cfg Config, code string) error
}

// proofAlphabet is Crockford's base32: no I, L, O or U, so a code read aloud or retyped survives.
var proofEncoding = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// NewProofCode returns a random 80-bit code written XXXX-XXXX-XXXX-XXXX.
func NewProofCode() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	s := proofEncoding.EncodeToString(b)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// NormalizeProofCode makes a typed code comparable: upper case, without dashes or
// spaces, with O read as 0 and I or L as 1 (the letters Crockford's alphabet leaves out).
func NormalizeProofCode(code string) string {
	r := strings.NewReplacer("-", "", " ", "", "O", "0", "I", "1", "L", "1")
	return r.Replace(strings.ToUpper(strings.TrimSpace(code)))
}
