// Package webhook is the HTTP side Messenger and WhatsApp share: Meta's
// verification handshake, reading a delivery's raw body, and finding the
// connected channels whose app secret verifies its X-Hub-Signature-256.
package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Response acknowledges a Meta webhook delivery.
type Response struct {
	Received int `json:"received"`
	Ignored  int `json:"ignored"`
	// Rejected says why a signed delivery whose body could not be read was acknowledged and not taken.
	Rejected string `json:"rejected,omitempty"`
}

// ReasonMalformed is the ignored-inbound reason of a signed delivery whose body is not Meta's payload.
const ReasonMalformed = "malformed_webhook"

// SourceWebhook is the ignored-inbound source of a Meta delivery.
const SourceWebhook = "webhook"

// HubQuery are the query parameters of Meta's verification handshake.
var HubQuery = []string{"hub.mode", "hub.verify_token", "hub.challenge"}

// Secreted is a Meta channel's configuration: it holds the webhook's secrets.
type Secreted interface {
	channels.Config
	// WebhookSecrets returns the app secret (signatures) and the verify token (handshake).
	WebhookSecrets() (appSecret, verifyToken string)
}

// Channel is a connected Meta channel with its configuration, secrets unsealed.
type Channel struct {
	Channel domain.Channel
	Config  Secreted
}

// load returns ch with its configuration.
func load(ctx context.Context, h channels.Host, ch domain.Channel) (Channel, error) {
	cfg, err := h.Config(ctx, ch)
	if err != nil {
		return Channel{}, err
	}
	s, ok := cfg.(Secreted)
	if !ok {
		return Channel{}, fmt.Errorf("channel %s is not a Meta channel", ch.ID)
	}
	return Channel{Channel: ch, Config: s}, nil
}

// Handshake answers Meta's subscription check: the verify token of any
// connected channel of the type echoes hub.challenge; anything else is 403.
func Handshake(h channels.Host, typ channels.Type) gin.HandlerFunc {
	return func(c *gin.Context) {
		var challenge string
		err := indexOf(h, typ).lookup(c.Request.Context(), h, typ, func(_ map[string][]Channel, tokens map[string]bool) bool {
			for token := range tokens {
				if ch, ok := meta.Handshake(c.Request.URL.Query(), token); ok {
					challenge = ch
					return true
				}
			}
			return false
		})
		switch {
		case err != nil:
			h.Fail(c, err)
		case challenge != "":
			// The challenge is the caller's text echoed back: plain text that no browser may sniff as HTML.
			c.Header("X-Content-Type-Options", "nosniff")
			c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(challenge))
		default:
			h.Problem(c, http.StatusForbidden, "hub.mode must be subscribe and hub.verify_token the verify_token of a connected "+string(typ)+" channel")
		}
	}
}

// Read reads the raw body (signatures cover the exact bytes).
func Read(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, tooLarge
		}
		return nil, fmt.Errorf("read webhook: %w", err)
	}
	return body, nil
}

// Verified looks up the channels of type typ that own ids and keeps those whose
// app secret verifies the body's X-Hub-Signature-256. Unknown ids and those of
// disconnected channels are skipped (acknowledged, nothing stored) and counted.
func Verified(c *gin.Context, h channels.Host, typ channels.Type, ids []string, body []byte) (map[string]Channel, int, error) {
	ctx := c.Request.Context()
	sig := c.GetHeader("X-Hub-Signature-256")
	ok := map[string]Channel{}
	unknown := 0
	for _, id := range ids {
		ch, err := h.Store().ChannelByExternalKey(ctx, string(typ), id)
		if errors.Is(err, domain.ErrNotFound) || (err == nil && ch.Status == domain.ChannelDisconnected) {
			h.Log().WarnContext(ctx, "webhook for an unknown or disconnected "+string(typ)+" id; acknowledged, not stored", "id", id)
			unknown++
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		mc, err := load(ctx, h, ch)
		if err != nil {
			return nil, 0, err
		}
		appSecret, _ := mc.Config.WebhookSecrets()
		if meta.VerifySignature(body, sig, appSecret) {
			ok[id] = mc
			if err := h.Store().RecordWebhook(ctx, mc.Channel.ID); err != nil {
				h.Log().WarnContext(ctx, "record the webhook delivery", "channel_id", mc.Channel.ID, "error", err)
			}
		}
	}
	return ok, unknown, nil
}

// Accept reads and authenticates a delivery: the raw body (storable text only),
// the ids ids finds in it, and the connected channels whose app secret verifies
// its signature. It answers the request itself and returns ok false when the
// delivery is not to be taken: a body that ids cannot read is acknowledged (200)
// and recorded as rejected when a connected channel's app secret verifies its
// signature (Meta redelivers anything else for hours), and is a 4xx otherwise;
// a readable body that no owning channel's secret verifies is a 401. what names
// the id's kind ("page", "number") in that answer.
func Accept(gc *gin.Context, h channels.Host, typ channels.Type, what string, ids func([]byte) ([]string, error)) (body []byte, verified map[string]Channel, ok bool) {
	body, err := Read(gc)
	if err != nil {
		h.Fail(gc, err)
		return nil, nil, false
	}
	var owners []string
	unstorable := h.CheckStorable(body)
	unreadable := unstorable
	if unstorable == nil {
		owners, unreadable = ids(body)
	}
	if unreadable != nil {
		signers, err := signedBy(gc, h, typ, body)
		switch {
		case errors.Is(err, errScansBusy):
			gc.Header("Retry-After", "1")
			h.Problem(gc, http.StatusTooManyRequests, err.Error())
		case err != nil:
			h.Fail(gc, err)
		case len(signers) > 0:
			Reject(gc, h, typ, signers, body, unreadable)
		case unstorable != nil:
			h.Fail(gc, unstorable)
		default:
			h.Problem(gc, http.StatusBadRequest, unreadable.Error())
		}
		return nil, nil, false
	}
	verified, unknown, err := Verified(gc, h, typ, owners, body)
	if err != nil {
		h.Fail(gc, err)
		return nil, nil, false
	}
	if len(verified) == 0 && unknown < len(owners) {
		h.Problem(gc, http.StatusUnauthorized, "X-Hub-Signature-256 is missing or does not match the app secret of the "+what+"'s channel")
		return nil, nil, false
	}
	return body, verified, true
}

// maxSignedByScan bounds how many connected channels a body without readable ids is checked against.
const maxSignedByScan = 10000

// signedBy returns the connected channels of type typ whose app secret verifies
// the body's X-Hub-Signature-256: the owners of a delivery whose body names none
// readably. A request without a well-formed signature header is checked against
// none; beyond scanRate scans a second (scanBurst at once) the answer is errScansBusy.
func signedBy(c *gin.Context, h channels.Host, typ channels.Type, body []byte) (map[string]Channel, error) {
	sig := c.GetHeader("X-Hub-Signature-256")
	if hexSig, ok := strings.CutPrefix(sig, "sha256="); !ok || len(hexSig) != 2*sha256.Size {
		return nil, nil
	}
	ix := indexOf(h, typ)
	if !ix.scans.Allow() {
		return nil, errScansBusy
	}
	out := map[string]Channel{}
	err := ix.lookup(c.Request.Context(), h, typ, func(bySecret map[string][]Channel, _ map[string]bool) bool {
		for appSecret, chs := range bySecret {
			if meta.VerifySignature(body, sig, appSecret) {
				for _, mc := range chs {
					out[mc.Channel.ID] = mc
				}
			}
		}
		return len(out) > 0
	})
	return out, err
}

// errScansBusy refuses a signature scan beyond the rate limit; Meta redelivers later.
var errScansBusy = errors.New("too many webhook deliveries without readable ids to check right now; retry later")

// Reject acknowledges a signed delivery that cannot be taken (200, so Meta
// stops redelivering it): it is recorded once on each channel of chs as ignored
// inbound with reason malformed_webhook, cause as its detail, and the body's
// size and SHA-256 (never the body) to tell deliveries apart. Nothing is stored as a message.
func Reject(gc *gin.Context, h channels.Host, typ channels.Type, chs map[string]Channel, body []byte, cause error) {
	ctx := gc.Request.Context()
	sum := sha256.Sum256(body)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	detail := fmt.Sprintf("%v (a signed delivery of %d bytes, %s; acknowledged and not stored)", cause, len(body), digest)
	done := map[string]bool{}
	for _, mc := range chs {
		if done[mc.Channel.ID] {
			continue
		}
		done[mc.Channel.ID] = true
		rec := store.IgnoredInbound{ChannelID: mc.Channel.ID, Reason: ReasonMalformed, Detail: detail, ExternalID: digest, Source: SourceWebhook}
		if err := channels.RecordIgnored(ctx, h.Store(), mc.Channel.AccountID, typ, rec); err != nil {
			h.Fail(gc, err)
			return
		}
	}
	h.Log().WarnContext(ctx, "signed "+string(typ)+" webhook with a malformed body; acknowledged, not stored", "error", cause, "bytes", len(body))
	gc.JSON(http.StatusOK, Response{Ignored: 1, Rejected: cause.Error()})
}
