package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/webhook"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// secretCfg is a Meta channel configuration holding only its webhook secrets.
type secretCfg struct{ app, token string }

func (secretCfg) Type() channels.Type                { return "messenger" }
func (secretCfg) ApplyDefaults()                     {}
func (secretCfg) Check() []domain.FieldError         { return nil }
func (c secretCfg) WebhookSecrets() (string, string) { return c.app, c.token }

// countingHost serves the webhook helpers from a real store and counts the configurations it unseals.
type countingHost struct {
	channels.Host
	st      *store.Store
	secrets map[string]secretCfg // channel id → secrets
	loads   atomic.Int64
}

func (h *countingHost) Store() channels.HostStore { return h.st }
func (h *countingHost) Log() *slog.Logger         { return slog.New(slog.DiscardHandler) }
func (h *countingHost) CheckStorable([]byte) error {
	return nil
}
func (h *countingHost) Fail(c *gin.Context, err error) {
	c.String(http.StatusInternalServerError, err.Error())
}
func (h *countingHost) Problem(c *gin.Context, status int, detail string) { c.String(status, detail) }
func (h *countingHost) Config(_ context.Context, ch domain.Channel) (channels.Config, error) {
	h.loads.Add(1)
	return h.secrets[ch.ID], nil
}

func sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// TestUnreadableSignedDeliveriesDoNotRescanEveryChannel: a body without readable ids and the
// handshake name no channel, so they are checked against all connected ones. Repeated, they must
// not unseal every channel's configuration each time (a forged signature header cost the server
// one unseal and one HMAC per connected channel per request), and the scans are rate limited.
func TestUnreadableSignedDeliveriesDoNotRescanEveryChannel(t *testing.T) {
	gin.SetMode(gin.TestMode)
	st := testenv.Store(t)
	ctx := context.Background()
	acc, _, err := st.CreateAccount(ctx, "A", domain.TierStarter, false)
	require.NoError(t, err)
	h := &countingHost{st: st, secrets: map[string]secretCfg{}}
	const n = 150
	for i := range n {
		ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "messenger", Name: fmt.Sprint("page ", i),
			ExternalKey: fmt.Sprint("page-", i), Redacted: []byte(`{}`), Full: []byte(`{}`), Proof: store.ProofAuto})
		require.NoError(t, err)
		app := "shared-app-secret" // most pages of an install share one Meta app
		if i == n-1 {
			app = "own-app-secret"
		}
		h.secrets[ch.ID] = secretCfg{app: app, token: fmt.Sprint("verify-", i)}
	}
	unreadable := func([]byte) ([]string, error) { return nil, errors.New("entry[0].id is not readable") }
	deliver := func(secret string) *httptest.ResponseRecorder {
		body := []byte(`{"object":"page","entry":[{"id":"\u0000"}]}`)
		w := httptest.NewRecorder()
		gc, _ := gin.CreateTestContext(w)
		gc.Request = httptest.NewRequest(http.MethodPost, "/webhooks/messenger", strings.NewReader(string(body)))
		gc.Request.Header.Set("X-Hub-Signature-256", sign(body, secret))
		webhook.Accept(gc, h, "messenger", "page", unreadable)
		return w
	}

	for range 20 {
		w := deliver("shared-app-secret")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), "not readable")
	}
	require.Equal(t, http.StatusOK, deliver("own-app-secret").Code, "a page with its own app is found too")
	require.Equal(t, http.StatusBadRequest, deliver("forged").Code)

	handshake := webhook.Handshake(h, "messenger")
	for _, token := range []string{"verify-3", "verify-149", "verify-77"} {
		w := httptest.NewRecorder()
		gc, _ := gin.CreateTestContext(w)
		gc.Request = httptest.NewRequest(http.MethodGet, "/webhooks/messenger?hub.mode=subscribe&hub.challenge=42&hub.verify_token="+token, nil)
		handshake(gc)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Equal(t, "42", w.Body.String())
	}
	// One load of every channel, and one more after the forged delivery's miss.
	require.LessOrEqual(t, h.loads.Load(), int64(2*n), "configurations unsealed for 24 scans of %d channels", n)

	busy := 0
	for range 200 {
		if deliver("forged").Code == http.StatusTooManyRequests {
			busy++
		}
	}
	require.Positive(t, busy, "a flood of unreadable signed deliveries is rate limited")
}
