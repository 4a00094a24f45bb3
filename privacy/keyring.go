// Package privacy owns what routedesk does for a contact's rights: the per-workflow keys that
// encrypt a contact's data in Temporal (crypto-shredding) and the durable erasure of a contact.
package privacy

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
	"strings"
	"sync"
	"time"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/store"
)

// wrapInfo separates the account key wrapping contact keys from every other key derived from ROUTEDESK_SECRET_KEY.
const wrapInfo = "routedesk contact key wrap v1\x00"

// cacheTTL bounds how long a process keeps an unwrapped key: after an erasure, another
// process decodes the erased contact's payloads for at most this long.
const cacheTTL = time.Minute

// scopedPrefixes are the workflows holding one contact's data: a conversation, a ticket
// without a channel, a reply's delivery.
var scopedPrefixes = []string{"conv:", "ticket:", "delivery:"}

// Keyring is the payload codec's keyring over PostgreSQL: one random AES-256 key per contact
// workflow, wrapped by its account's key (HKDF of ROUTEDESK_SECRET_KEY and the account id).
type Keyring struct {
	st      *store.Store
	secrets [][]byte // current first, then previous ones (rotation)
	mu      sync.Mutex
	byWF    map[string]cached
	byID    map[string]cached
}

type cached struct {
	id      string
	aead    cipher.AEAD
	expires time.Time
}

var _ payloadcodec.Keyring = (*Keyring)(nil)

// NewKeyring returns the keyring wrapping keys under secret (ROUTEDESK_SECRET_KEY) and
// unwrapping keys wrapped under previous secrets too.
func NewKeyring(st *store.Store, secret []byte, previous ...[]byte) (*Keyring, error) {
	all := append([][]byte{secret}, previous...)
	for i, s := range all {
		if len(s) < 32 {
			return nil, fmt.Errorf("contact keyring: secret %d is %d bytes, want at least 32", i, len(s))
		}
	}
	k := &Keyring{st: st, secrets: all, byWF: map[string]cached{}, byID: map[string]cached{}}
	register(k)
	return k, nil
}

// Scoped reports whether workflowID holds a contact's data.
func (k *Keyring) Scoped(workflowID string) bool {
	for _, p := range scopedPrefixes {
		if strings.HasPrefix(workflowID, p) {
			return true
		}
	}
	return false
}

// ScopeKey returns workflowID's live key, creating and storing it on first use.
func (k *Keyring) ScopeKey(ctx context.Context, workflowID string) (string, cipher.AEAD, error) {
	if c, ok := k.get(k.byWF, workflowID); ok {
		return c.id, c.aead, nil
	}
	row, err := k.st.LivePrivacyKey(ctx, workflowID)
	if errors.Is(err, domain.ErrNotFound) {
		row, err = k.create(ctx, workflowID)
	}
	if err != nil {
		return "", nil, err
	}
	aead, err := k.unwrap(ctx, row)
	if err != nil {
		return "", nil, err
	}
	k.put(workflowID, row.ID, aead)
	return row.ID, aead, nil
}

// Key returns the key named id; payloadcodec.ErrKeyErased once it was erased.
func (k *Keyring) Key(ctx context.Context, id string) (cipher.AEAD, error) {
	if c, ok := k.get(k.byID, id); ok {
		return c.aead, nil
	}
	row, err := k.st.PrivacyKey(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, fmt.Errorf("%w %q", payloadcodec.ErrUnknownKey, id)
	}
	if err != nil {
		return nil, err
	}
	if row.Wrapped == nil {
		return nil, payloadcodec.ErrKeyErased
	}
	aead, err := k.unwrap(ctx, row)
	if err != nil {
		return nil, err
	}
	k.put("", id, aead)
	return aead, nil
}

// Forget drops keys from this process's cache (the erasure calls it right after erasing them).
func (k *Keyring) Forget(ids ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, id := range ids {
		delete(k.byID, id)
		for wf, c := range k.byWF {
			if c.id == id {
				delete(k.byWF, wf)
			}
		}
	}
}

func (k *Keyring) get(m map[string]cached, key string) (cached, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c, ok := m[key]
	if !ok || time.Now().After(c.expires) {
		delete(m, key)
		return cached{}, false
	}
	return c, true
}

func (k *Keyring) put(workflowID, id string, aead cipher.AEAD) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := cached{id: id, aead: aead, expires: time.Now().Add(cacheTTL)}
	k.byID[id] = c
	if workflowID != "" {
		k.byWF[workflowID] = c
	}
}

// create makes a random key for workflowID, wraps it under its account's key and stores it
// (or returns the key another process stored first).
func (k *Keyring) create(ctx context.Context, workflowID string) (store.PrivacyKey, error) {
	account, err := k.st.WorkflowAccount(ctx, workflowID)
	if err != nil {
		return store.PrivacyKey{}, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails
	idBytes := make([]byte, 12)
	_, _ = rand.Read(idBytes)
	row := store.PrivacyKey{ID: payloadcodec.ScopedKeyPrefix + hex.EncodeToString(idBytes), AccountID: account, WorkflowID: workflowID}
	if row.Wrapped, row.WrapKeyID, err = k.wrap(row, raw); err != nil {
		return row, err
	}
	return k.st.AddPrivacyKey(ctx, row)
}

// wrap seals raw under the current secret's key of row's account, binding the key's id.
func (k *Keyring) wrap(row store.PrivacyKey, raw []byte) ([]byte, string, error) {
	aead, wrapID, err := accountKey(k.secrets[0], row.AccountID)
	if err != nil {
		return nil, "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(raw)+aead.Overhead())
	_, _ = rand.Read(nonce)
	return aead.Seal(nonce, nonce, raw, []byte(row.ID)), wrapID, nil
}

// unwrap opens row's key with whichever secret wrapped it, rewrapping it under the current
// secret when that was a previous one.
func (k *Keyring) unwrap(ctx context.Context, row store.PrivacyKey) (cipher.AEAD, error) {
	for i, s := range k.secrets {
		wrapper, wrapID, err := accountKey(s, row.AccountID)
		if err != nil {
			return nil, err
		}
		if wrapID != row.WrapKeyID {
			continue
		}
		n := wrapper.NonceSize()
		if len(row.Wrapped) < n+wrapper.Overhead() {
			return nil, fmt.Errorf("unwrap key %s: wrapped key too short", row.ID)
		}
		raw, err := wrapper.Open(nil, row.Wrapped[:n], row.Wrapped[n:], []byte(row.ID))
		if err != nil {
			return nil, fmt.Errorf("unwrap key %s: %w", row.ID, err)
		}
		if i > 0 {
			wrapped, id, err := k.wrap(row, raw)
			if err == nil {
				err = k.st.RewrapPrivacyKey(ctx, row.ID, wrapped, id)
			}
			if err != nil {
				return nil, err
			}
		}
		return gcm(raw)
	}
	return nil, fmt.Errorf("unwrap key %s: wrapped under an unknown secret %q (add the old ROUTEDESK_SECRET_KEY to ROUTEDESK_PREVIOUS_SECRET_KEYS)", row.ID, row.WrapKeyID)
}

// accountKey derives an account's wrapping key from a secret, and the id naming that secret.
func accountKey(secret []byte, accountID string) (cipher.AEAD, string, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, wrapInfo+accountID, 32)
	if err != nil {
		return nil, "", fmt.Errorf("derive the account key: %w", err)
	}
	root, err := hkdf.Key(sha256.New, secret, nil, wrapInfo+"id", 32)
	if err != nil {
		return nil, "", fmt.Errorf("derive the wrap key id: %w", err)
	}
	sum := sha256.Sum256(root)
	aead, err := gcm(key)
	return aead, hex.EncodeToString(sum[:8]), err
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return aead, nil
}
