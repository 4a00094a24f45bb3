package payloadcodec

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// ScopedKeyPrefix starts the id of every workflow-scoped key, telling it from an account key id (16 hex digits).
const ScopedKeyPrefix = "k:"

// keyringTimeout bounds one keyring lookup (PostgreSQL) made while encoding or decoding.
const keyringTimeout = 5 * time.Second

// ErrKeyErased means a payload was encrypted under a key that was deleted on purpose (its contact
// was erased): the payload can never be decoded again.
var ErrKeyErased = errors.New("key erased: the contact this payload belongs to was erased")

// Keyring holds the keys of workflows whose payloads are personal data, each key
// owned by the workflow's contact and deleted when the contact is erased.
type Keyring interface {
	// Scoped reports whether workflowID's payloads get a key of their own.
	Scoped(workflowID string) bool
	// ScopeKey returns the live key of workflowID, creating it on first use.
	ScopeKey(ctx context.Context, workflowID string) (id string, aead cipher.AEAD, err error)
	// Key returns the key named id; ErrKeyErased once it was erased.
	Key(ctx context.Context, id string) (cipher.AEAD, error)
}

// IsScopedKeyID reports whether id names a workflow-scoped key.
func IsScopedKeyID(id string) bool { return strings.HasPrefix(id, ScopedKeyPrefix) }

// WithKeyring returns a copy of c that encrypts the payloads of the workflows the keyring
// scopes under their own keys and decrypts payloads of any key of the keyring.
func (c *Codec) WithKeyring(k Keyring) *Codec {
	cp := *c
	cp.keyring = k
	return &cp
}

var _ converter.PayloadCodecWithSerializationContext = (*Codec)(nil)

// WithSerializationContext is the codec for one workflow's (or its activities') payloads: under
// the workflow's own key when the keyring scopes it, else c itself.
func (c *Codec) WithSerializationContext(sc converter.SerializationContext) converter.PayloadCodec {
	if c.keyring == nil {
		return c
	}
	var id string
	switch s := sc.(type) {
	case converter.WorkflowSerializationContext:
		id = s.WorkflowID
	case converter.ActivitySerializationContext:
		id = s.WorkflowID
	}
	if id == "" || !c.keyring.Scoped(id) {
		return c
	}
	return &scopedCodec{c: c, workflowID: id}
}

// scopedCodec encrypts under one workflow's key and decrypts like its codec.
type scopedCodec struct {
	c          *Codec
	workflowID string
}

// Encode encrypts payloads under the workflow's key, creating the key on first use.
func (s *scopedCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
	defer cancel()
	id, aead, err := s.c.keyring.ScopeKey(ctx, s.workflowID)
	if err != nil {
		return payloads, fmt.Errorf("encrypt payload: key of workflow %s: %w", s.workflowID, err)
	}
	return encode(payloads, id, aead)
}

// Decode decrypts payloads of any key, as the codec does.
func (s *scopedCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return s.c.Decode(payloads)
}
