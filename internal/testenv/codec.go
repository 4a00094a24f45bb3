package testenv

import (
	"context"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/proxy"
	"google.golang.org/protobuf/proto"

	"github.com/routedesk/routedesk/csat"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/secrets"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// Codec is the payload codec of test stacks: keyed from TestKey, as the
// binary's is from ROUTEDESK_SECRET_KEY.
func Codec(t testing.TB) *payloadcodec.Codec {
	t.Helper()
	key, err := secrets.ParseKey(TestKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := payloadcodec.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Keyring is the contact keyring of test stacks over st, keyed from TestKey.
func Keyring(t testing.TB, st *store.Store) *privacy.Keyring {
	t.Helper()
	key, err := secrets.ParseKey(TestKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := privacy.NewKeyring(st, key)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// ConversationIDs names conversation workflows as the binary does, keyed from TestKey.
func ConversationIDs(t testing.TB) workflows.ConversationIDs {
	t.Helper()
	key, err := secrets.ParseKey(TestKey)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := workflows.NewConversationIDs(key)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// CSATLinks signs rating links as the binary does, keyed from TestKey; their base URL is set once the
// test's API listens.
func CSATLinks(t testing.TB) *csat.Links {
	t.Helper()
	key, err := secrets.ParseKey(TestKey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := csat.NewLinks(key, "")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// DecodePayloads decrypts, in place, every payload in msg (a history, a
// describe response…) that codec encrypted: what the Temporal UI shows
// through the codec endpoint.
func DecodePayloads(t testing.TB, codec *payloadcodec.Codec, msg proto.Message) {
	t.Helper()
	err := proxy.VisitPayloads(context.Background(), msg, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return codec.Decode(p)
		},
		SkipSearchAttributes: true,
	})
	if err != nil {
		t.Fatalf("decode payloads: %v", err)
	}
}
