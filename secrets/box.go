package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// version1 marks a value sealed with AES-256-GCM under the box's only key.
const version1 byte = 1

const (
	nonceSize = 12
	tagSize   = 16
	// overhead is what Seal adds to the plaintext: version byte, nonce and GCM tag.
	overhead = 1 + nonceSize + tagSize
)

// ErrOpen means a sealed value could not be opened: wrong key, wrong additional data, or tampered or truncated data.
var ErrOpen = errors.New("sealed value cannot be opened (wrong key, wrong additional data, or tampered)")

// Box seals and opens values with AES-256-GCM; it is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box using key, which must be exactly 32 bytes.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("new secret box: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new secret box: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new secret box: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts and authenticates plaintext, binding it to additionalData (e.g. the owning row's id).
func (b *Box) Seal(plaintext, additionalData []byte) ([]byte, error) {
	out := make([]byte, 1+nonceSize, overhead+len(plaintext))
	out[0] = version1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: read nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:1+nonceSize], plaintext, additionalData), nil
}

// Open checks and decrypts a value made by Seal with the same key and additionalData.
func (b *Box) Open(sealed, additionalData []byte) ([]byte, error) {
	if len(sealed) < overhead {
		return nil, fmt.Errorf("open: sealed value is %d bytes, shorter than the minimum %d: %w", len(sealed), overhead, ErrOpen)
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("open: unsupported sealed value version %d: %w", sealed[0], ErrOpen)
	}
	nonce, ciphertext := sealed[1:1+nonceSize], sealed[1+nonceSize:]
	plaintext, err := b.aead.Open(nil, nonce, ciphertext, additionalData)
	if err != nil {
		return nil, fmt.Errorf("open: %w", ErrOpen)
	}
	return plaintext, nil
}
