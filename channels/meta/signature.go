package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// signaturePrefix starts every X-Hub-Signature-256 header value.
const signaturePrefix = "sha256="

// VerifySignature reports whether header (X-Hub-Signature-256) is "sha256=" + hex HMAC-SHA256 of body under appSecret.
func VerifySignature(body []byte, header, appSecret string) bool {
	if appSecret == "" || !strings.HasPrefix(header, signaturePrefix) {
		return false
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
