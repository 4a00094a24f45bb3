package custom

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/routedesk/routedesk/channels"
)

// The headers an app signs its requests with.
const (
	// TimestampHeader carries the request's time in Unix seconds.
	TimestampHeader = "X-Routedesk-Timestamp"
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of timestamp + "." + body with the channel secret.
	SignatureHeader = "X-Routedesk-Signature"
)

// ReplayWindow is how far a signed request's timestamp may be from the server's clock.
const ReplayWindow = 5 * time.Minute

// Sign returns the SignatureHeader value of body sent at ts with secret.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

var _ channels.RequestVerifier = (*Channel)(nil)

// VerifyRequest checks an app's signed request: a signature of the body and timestamp with the channel
// secret (compared in constant time), the timestamp within ReplayWindow of now.
func (*Channel) VerifyRequest(cfg channels.Config, header http.Header, body []byte, now time.Time) (bool, error) {
	tsText, sig := header.Get(TimestampHeader), header.Get(SignatureHeader)
	if tsText == "" && sig == "" {
		return false, nil
	}
	c, ok := cfg.(*Config)
	if !ok {
		return true, fmt.Errorf("custom channel given a %T configuration", cfg)
	}
	if c.Secret == "" {
		return true, errors.New("the channel has no secret to sign requests with: set config.secret, or use a channel key")
	}
	if tsText == "" || sig == "" {
		return true, fmt.Errorf("a signed request needs both %s and %s", TimestampHeader, SignatureHeader)
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(tsText), 10, 64)
	if err != nil {
		return true, fmt.Errorf("%s must be Unix seconds", TimestampHeader)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > ReplayWindow || d < -ReplayWindow {
		return true, fmt.Errorf("%s is more than %s from the server's clock", TimestampHeader, ReplayWindow)
	}
	if !hmac.Equal([]byte(Sign(c.Secret, ts, body)), []byte(strings.TrimSpace(sig))) {
		return true, fmt.Errorf("%s does not match the body, timestamp and channel secret", SignatureHeader)
	}
	return true, nil
}
