package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a secret key in bytes (AES-256).
const KeySize = 32

// ParseKey decodes a 32-byte key given as standard or URL-safe base64 (padded or not) or as 64 hex characters.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("parse secret key: key is empty; generate one with `openssl rand -base64 32`")
	}
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
	}
	encodings := []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding}
	decodedLen := -1
	for _, enc := range encodings {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) == KeySize {
			return key, nil
		}
		decodedLen = len(key)
	}
	if decodedLen >= 0 {
		return nil, fmt.Errorf("parse secret key: key decodes to %d bytes, want %d; generate one with `openssl rand -base64 32`", decodedLen, KeySize)
	}
	return nil, fmt.Errorf("parse secret key: key is neither base64 nor 64 hex characters (%d characters given); generate one with `openssl rand -base64 32`", len(s))
}

// GenerateKey returns a new random key, base64-encoded (standard encoding, padded).
func GenerateKey() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("generate secret key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// LoadOrCreateKeyFile returns the key stored in path, creating the file (0600, parent directory 0700) with a new key if it does not exist.
func LoadOrCreateKeyFile(path string) (string, error) {
	if key, err := readKeyFile(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create secret key directory: %w", err)
	}
	key, err := GenerateKey()
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our read and our create: use theirs.
		return readKeyFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("create secret key file: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return "", fmt.Errorf("write secret key file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("write secret key file %s: %w", path, err)
	}
	return key, nil
}

// readKeyFile reads and checks the key in path; a missing file gives an error wrapping fs.ErrNotExist.
func readKeyFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret key file: %w", err)
	}
	key := strings.TrimSpace(string(data))
	if _, err := ParseKey(key); err != nil {
		return "", fmt.Errorf("secret key file %s: %w", path, err)
	}
	return key, nil
}
