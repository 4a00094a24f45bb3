package main

import (
	"fmt"
	"strings"

	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/secrets"
	"github.com/routedesk/routedesk/store"
)

// withKeyring gives the codec the contact keyring in st, so each contact workflow's payloads
// are encrypted under a key of its own that erasing the contact destroys (docs/privacy.md).
func withKeyring(cfg *config, codec *payloadcodec.Codec, st *store.Store, generate bool) (*payloadcodec.Codec, error) {
	raw, err := secretKey(cfg, generate)
	if err != nil {
		return nil, err
	}
	var previous [][]byte
	for i, k := range strings.Split(cfg.PreviousSecretKeys, ",") {
		if strings.TrimSpace(k) == "" {
			continue
		}
		old, err := secrets.ParseKey(k)
		if err != nil {
			return nil, fmt.Errorf("ROUTEDESK_PREVIOUS_SECRET_KEYS, key %d: %w", i+1, err)
		}
		previous = append(previous, old)
	}
	ring, err := privacy.NewKeyring(st, raw, previous...)
	if err != nil {
		return nil, fmt.Errorf("ROUTEDESK_SECRET_KEY: %w", err)
	}
	return codec.WithKeyring(ring), nil
}
