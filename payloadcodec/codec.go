// Package payloadcodec encrypts what routedesk hands to Temporal — workflow
// and activity payloads, memos, workflow and activity summaries, failure
// messages — with AES-256-GCM under keys derived from ROUTEDESK_SECRET_KEY,
// so Temporal's database holds ciphertext; it also serves the codec endpoint
// the Temporal UI and CLI decode through.
package payloadcodec

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Payload metadata keys and the encoding of an encrypted payload.
const (
	MetadataEncoding = converter.MetadataEncoding
	MetadataKeyID    = "encryption-key-id"
	EncodingName     = "binary/encrypted"
)

// hkdfInfo separates the payload key from any other key derived from the same secret.
const hkdfInfo = "routedesk temporal payload codec v1"

const nonceSize = 12

// ErrUnknownKey means a payload was encrypted under a key this codec does not hold.
var ErrUnknownKey = errors.New("payload encrypted under an unknown key")

// Codec is a converter.PayloadCodec: it encrypts every payload under its
// current key and decrypts payloads of the current and earlier keys; a
// payload it did not encrypt (recorded before encryption) passes through.
type Codec struct {
	current string
	keys    map[string]cipher.AEAD
	keyring Keyring // nil: no workflow-scoped keys (see keyring.go)
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec encrypting under the key derived from secret (32 bytes,
// ROUTEDESK_SECRET_KEY) and also decrypting under keys derived from previous.
func New(secret []byte, previous ...[]byte) (*Codec, error) {
	c := &Codec{keys: map[string]cipher.AEAD{}}
	for i, s := range append([][]byte{secret}, previous...) {
		id, aead, err := derive(s)
		if err != nil {
			return nil, fmt.Errorf("payload codec key %d: %w", i, err)
		}
		if i == 0 {
			c.current = id
		}
		c.keys[id] = aead
	}
	return c, nil
}

// derive makes the payload key of a secret with HKDF-SHA256 and names it by
// a hash of the key, so the id tells nothing about the key.
func derive(secret []byte) (string, cipher.AEAD, error) {
	if len(secret) < 32 {
		return "", nil, fmt.Errorf("secret is %d bytes, want at least 32", len(secret))
	}
	key, err := hkdf.Key(sha256.New, secret, nil, hkdfInfo, 32)
	if err != nil {
		return "", nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", nil, fmt.Errorf("gcm: %w", err)
	}
	sum := sha256.Sum256(append([]byte("key id\x00"), key...))
	return hex.EncodeToString(sum[:8]), aead, nil
}

// KeyID is the id of the key new payloads are encrypted under.
func (c *Codec) KeyID() string { return c.current }

// Encode encrypts each payload (its whole protobuf, metadata included) under the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	return encode(payloads, c.current, c.keys[c.current])
}

// encode encrypts payloads under aead, naming it id in their metadata (and binding id as associated data).
func encode(payloads []*commonpb.Payload, id string, aead cipher.AEAD) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encrypt payload: marshal: %w", err)
		}
		nonce := make([]byte, nonceSize, nonceSize+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("encrypt payload: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{MetadataEncoding: []byte(EncodingName), MetadataKeyID: []byte(id)},
			Data:     aead.Seal(nonce, nonce, plain, []byte(id)),
		}
	}
	return out, nil
}

// Decode decrypts payloads this codec (under any of its keys) encrypted and passes others through.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingName {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, err := c.key(id)
		if err != nil {
			return payloads, err
		}
		data := p.GetData()
		if len(data) < nonceSize+aead.Overhead() {
			return payloads, errors.New("decrypt payload: ciphertext too short")
		}
		plain, err := aead.Open(nil, data[:nonceSize], data[nonceSize:], []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("decrypt payload under key %q: %w", id, err)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return payloads, fmt.Errorf("decrypt payload: unmarshal: %w", err)
		}
		out[i] = &dec
	}
	return out, nil
}

// key is the cipher of key id: an account key of this codec or, with a keyring, a workflow-scoped key.
func (c *Codec) key(id string) (cipher.AEAD, error) {
	if aead, ok := c.keys[id]; ok {
		return aead, nil
	}
	if IsScopedKeyID(id) && c.keyring != nil {
		ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
		defer cancel()
		aead, err := c.keyring.Key(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("decrypt payload under key %q: %w", id, err)
		}
		return aead, nil
	}
	return nil, fmt.Errorf("decrypt payload: %w %q (add the old ROUTEDESK_SECRET_KEY to ROUTEDESK_PREVIOUS_SECRET_KEYS)", ErrUnknownKey, id)
}

// DataConverter is the default data converter with payloads passed through the codec.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter encodes failures' messages and stack traces with the codec too, under the
// workflow's own key when the SDK says which workflow a failure belongs to.
func (c *Codec) FailureConverter() converter.FailureConverter {
	return failureConverter{c.DataConverter()}
}

// failureConverter is the default failure converter over a codec data converter, passing the
// serialization context on to it.
type failureConverter struct{ dc converter.DataConverter }

func (f failureConverter) fc() converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: f.dc, EncodeCommonAttributes: true})
}

func (f failureConverter) ErrorToFailure(err error) *failurepb.Failure {
	return f.fc().ErrorToFailure(err)
}

func (f failureConverter) FailureToError(fl *failurepb.Failure) error {
	return f.fc().FailureToError(fl)
}

// WithSerializationContext encodes the failures of one workflow or activity under that workflow's key.
func (f failureConverter) WithSerializationContext(sc converter.SerializationContext) converter.FailureConverter {
	return failureConverter{converter.WithDataConverterSerializationContext(f.dc, sc)}
}
