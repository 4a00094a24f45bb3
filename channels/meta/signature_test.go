package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"object":"page","entry":[]}`)
	const secret = "3f1c0b5e9a7d4c2e8b6a"
	good := sign(body, secret)
	sha1Hex := strings.TrimPrefix(good, "sha256=")[:40]

	tests := []struct {
		name   string
		body   []byte
		header string
		secret string
		want   bool
	}{
		{"good", body, good, secret, true},
		{"good uppercase hex", body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), secret, true},
		{"empty body signed", nil, sign(nil, secret), secret, true},
		{"bad digest", body, "sha256=" + strings.Repeat("ab", 32), secret, false},
		{"body tampered", []byte(`{"object":"page","entry":[{}]}`), good, secret, false},
		{"missing header", body, "", secret, false},
		{"wrong secret", body, sign(body, "other-secret"), secret, false},
		{"empty secret", body, sign(body, ""), "", false},
		{"malformed hex", body, "sha256=zz" + strings.TrimPrefix(good, "sha256=")[2:], secret, false},
		{"odd-length hex", body, good[:len(good)-1], secret, false},
		{"truncated digest", body, good[:len(good)-2], secret, false},
		{"prefix only", body, "sha256=", secret, false},
		{"no prefix", body, strings.TrimPrefix(good, "sha256="), secret, false},
		{"sha1 prefix", body, "sha1=" + sha1Hex, secret, false},
		{"sha1 prefix with sha256 digest", body, "sha1=" + strings.TrimPrefix(good, "sha256="), secret, false},
		{"uppercase prefix", body, "SHA256=" + strings.TrimPrefix(good, "sha256="), secret, false},
		{"surrounding space", body, " " + good, secret, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, VerifySignature(tt.body, tt.header, tt.secret))
		})
	}
}
