package webhook

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/routedesk/routedesk/channels"
)

// A handshake and a signed body without readable ids name no channel, so they
// are checked against every connected channel of the type. Unsealing up to
// maxSignedByScan configurations and hashing the body once per channel on each
// such request would let anyone with a forged signature header burn the
// server's CPU; the scan index instead keeps the connected channels' secrets,
// grouped by distinct app secret (one HMAC each), reloads them every scanMaxAge
// and on a miss (a channel connected moments ago) at most reloadRate times a
// second, and bounds the scans per second.
const (
	scanMaxAge = 30 * time.Second
	// reloadRate and reloadBurst bound the reloads on a miss per server and type.
	reloadRate  = 2
	reloadBurst = 5
	// scanRate and scanBurst bound the signature scans of unreadable bodies per server and type.
	scanRate  = 20
	scanBurst = 50
)

// scanIndex holds one channel type's connected channels, secrets unsealed, for scans.
type scanIndex struct {
	mu       sync.Mutex
	loaded   time.Time
	bySecret map[string][]Channel // app secret → its channels
	tokens   map[string]bool      // verify tokens
	scans    *rate.Limiter
	reloads  *rate.Limiter
}

type scanKey struct {
	store channels.HostStore
	typ   channels.Type
}

var scanIndexes sync.Map // scanKey → *scanIndex

// indexOf returns the scan index of a store's channels of one type.
func indexOf(h channels.Host, typ channels.Type) *scanIndex {
	k := scanKey{h.Store(), typ}
	if ix, ok := scanIndexes.Load(k); ok {
		return ix.(*scanIndex)
	}
	ix, _ := scanIndexes.LoadOrStore(k, &scanIndex{scans: rate.NewLimiter(scanRate, scanBurst), reloads: rate.NewLimiter(reloadRate, reloadBurst)})
	return ix.(*scanIndex)
}

// snapshot returns the index's secrets, reloaded when older than maxAge.
func (ix *scanIndex) snapshot(ctx context.Context, h channels.Host, typ channels.Type, maxAge time.Duration) (map[string][]Channel, map[string]bool, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.bySecret != nil && time.Since(ix.loaded) < maxAge {
		return ix.bySecret, ix.tokens, nil
	}
	chs, err := h.Store().ChannelsOfType(ctx, string(typ), maxSignedByScan)
	if err != nil {
		return nil, nil, err
	}
	bySecret, tokens := map[string][]Channel{}, map[string]bool{}
	for _, ch := range chs {
		mc, err := load(ctx, h, ch)
		if err != nil {
			h.Log().WarnContext(ctx, "webhook scan: unreadable channel", "channel_id", ch.ID, "error", err)
			continue
		}
		appSecret, verifyToken := mc.Config.WebhookSecrets()
		if appSecret != "" {
			bySecret[appSecret] = append(bySecret[appSecret], mc)
		}
		if verifyToken != "" {
			tokens[verifyToken] = true
		}
	}
	ix.bySecret, ix.tokens, ix.loaded = bySecret, tokens, time.Now()
	return bySecret, tokens, nil
}

// lookup runs match over the index and, on a miss, once more over a fresh load
// (a channel connected moments ago) when the reload limit allows.
func (ix *scanIndex) lookup(ctx context.Context, h channels.Host, typ channels.Type, match func(map[string][]Channel, map[string]bool) bool) error {
	bySecret, tokens, err := ix.snapshot(ctx, h, typ, scanMaxAge)
	if err != nil || match(bySecret, tokens) || !ix.reloads.Allow() {
		return err
	}
	bySecret, tokens, err = ix.snapshot(ctx, h, typ, 0)
	if err != nil {
		return err
	}
	match(bySecret, tokens)
	return nil
}
