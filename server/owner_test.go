package server_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// claimRefused asserts a 409 problem+json naming field.
func claimRefused(t *testing.T, r testenv.Response, field string) {
	t.Helper()
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	require.Contains(t, fieldErrors(t, r), field, string(r.Body))
}

// TestProviderIDsHaveOneOwner: every identity that routes inbound traffic (a Messenger page id, a
// WhatsApp phone number id, a calling number, a team address) belongs to one channel that is not
// disconnected, across accounts and within one: a second claim by POST, PATCH or reconnect is a 409
// naming the config field; disconnecting releases it.
func TestProviderIDsHaveOneOwner(t *testing.T) {
	s := testenv.NewStack(t)
	_, a := s.Account("A", "professional")
	_, b := s.Account("B", "professional")
	cases := []struct {
		typ, field, key, spelled string
		config                   func(key string) map[string]any
	}{
		{"messenger", "config.page_id", "1234567890", "1234567890", func(k string) map[string]any {
			return map[string]any{"page_id": k, "page_access_token": "tok", "app_secret": "secret"}
		}},
		{"whatsapp", "config.phone_number_id", "1098765", "1098765", func(k string) map[string]any {
			return map[string]any{"phone_number_id": k, "access_token": "tok", "app_secret": "secret"}
		}},
		{"calling", "config.phone_number", "+46850001234", "+46850001234", func(k string) map[string]any {
			return map[string]any{"phone_number": k}
		}},
		{"email", "config.address", "help@acme.test", "Help+Sales@ACME.test", func(k string) map[string]any {
			return map[string]any{"address": k}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			body := func(name, key string) map[string]any {
				return map[string]any{"type": tc.typ, "name": name, "config": tc.config(key)}
			}
			owner := createChannel(t, s, a, body("Owner", tc.key))
			claimRefused(t, s.Do(http.MethodPost, "/v1/channels", b, body("Other account", tc.spelled)), tc.field)
			claimRefused(t, s.Do(http.MethodPost, "/v1/channels", a, body("Same account", tc.spelled)), tc.field)

			// A PATCH onto the claimed identity is refused too, and changes nothing.
			other := createChannel(t, s, b, body("B's own", otherKey(tc.typ)))
			claimRefused(t, s.Do(http.MethodPatch, "/v1/channels/"+other, b, map[string]any{"config": tc.config(tc.spelled)}), tc.field)

			// Disconnecting releases the claim; the old owner's reconnect is then refused.
			require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/channels/"+owner, a, map[string]any{"status": "disconnected"}).Status)
			taken := s.Do(http.MethodPatch, "/v1/channels/"+other, b, map[string]any{"config": tc.config(tc.spelled)})
			require.Equal(t, http.StatusOK, taken.Status, string(taken.Body))
			claimRefused(t, s.Do(http.MethodPatch, "/v1/channels/"+owner, a, map[string]any{"status": "connected"}), tc.field)
			require.Equal(t, "disconnected", s.Do(http.MethodGet, "/v1/channels/"+owner, a, nil).Map(t)["status"])
		})
	}
}

// otherKey is a second identity of a channel type, unclaimed.
func otherKey(typ string) string {
	switch typ {
	case "calling":
		return "+46850009999"
	case "email":
		return "other@acme.test"
	default:
		return "5550001"
	}
}

// TestCustomAppsRouteByChannelKey: a custom app's inbound traffic finds its channel by the id in the
// path, authenticated by a key of that channel (unique, stored hashed): another account's key, or
// a key of another channel, reaches nothing. app_name is a label, so two apps may share one.
func TestCustomAppsRouteByChannelKey(t *testing.T) {
	s := testenv.NewStack(t)
	_, a := s.Account("A", "professional")
	_, b := s.Account("B", "professional")
	appA := createChannel(t, s, a, map[string]any{"type": "custom", "name": "Bridge", "config": map[string]any{"app_name": "Bridge"}})
	appB := createChannel(t, s, b, map[string]any{"type": "custom", "name": "Bridge", "config": map[string]any{"app_name": "Bridge"}})
	r := s.Do(http.MethodPost, "/v1/channels/"+appA+"/keys", a, map[string]any{"name": "bridge"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	key := r.Map(t)["key"].(string)
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+appA+"/messages", key, message("c1")).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, "/v1/channels/"+appB+"/messages", key, message("c2")).Status)
}

// TestConcurrentClaimsHaveOneWinner: parallel POSTs of one address from many accounts: the unique
// index in PostgreSQL lets exactly one win (201); every other gets 409 naming config.address.
func TestConcurrentClaimsHaveOneWinner(t *testing.T) {
	s := testenv.NewStack(t)
	const n = 12
	tokens := make([]string, n)
	for i := range tokens {
		_, tokens[i] = s.Account("Acct", "starter")
	}
	results := make([]testenv.Response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			addr := []string{"race@acme.test", "RACE@acme.test", "race+x@Acme.Test"}[i%3]
			results[i] = testenv.Do(t, s.HTTP.URL, http.MethodPost, "/v1/channels", tokens[i],
				map[string]any{"type": "email", "name": "Race", "config": map[string]any{"address": addr}})
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for _, r := range results {
		switch r.Status {
		case http.StatusCreated:
			created++
		default:
			claimRefused(t, r, "config.address")
		}
	}
	require.Equal(t, 1, created)
}
