package secrets

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseKeyEncodings(t *testing.T) {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(250 - i) // exercises base64's '+' '/' versus '-' '_'
	}
	for name, s := range map[string]string{
		"std":          base64.StdEncoding.EncodeToString(key),
		"std raw":      base64.RawStdEncoding.EncodeToString(key),
		"url":          base64.URLEncoding.EncodeToString(key),
		"url raw":      base64.RawURLEncoding.EncodeToString(key),
		"hex":          hex.EncodeToString(key),
		"hex upper":    strings.ToUpper(hex.EncodeToString(key)),
		"with newline": base64.StdEncoding.EncodeToString(key) + "\n",
		"with spaces":  "  " + hex.EncodeToString(key) + " ",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseKey(s)
			require.NoError(t, err)
			require.Equal(t, key, got)
		})
	}
}

func TestParseKeyRejects(t *testing.T) {
	for name, tc := range map[string]struct{ in, msg string }{
		"empty":          {"", "empty"},
		"short base64":   {base64.StdEncoding.EncodeToString(make([]byte, 16)), "16 bytes"},
		"long base64":    {base64.StdEncoding.EncodeToString(make([]byte, 40)), "40 bytes"},
		"short hex":      {hex.EncodeToString(make([]byte, 16)), "want 32"},
		"not encoded":    {"this is not a key!", "neither base64 nor"},
		"hex with junk":  {strings.Repeat("ab", 31) + "g!", "neither base64 nor"},
		"hex bad digits": {strings.Repeat("zz", 32), "48 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKey(tc.in)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestParseKeyErrorDoesNotEchoKey(t *testing.T) {
	s := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	_, err := ParseKey(s)
	require.Error(t, err)
	require.NotContains(t, err.Error(), s)
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	require.NoError(t, err)
	b, err := GenerateKey()
	require.NoError(t, err)
	require.NotEqual(t, a, b)
	raw, err := ParseKey(a)
	require.NoError(t, err)
	require.Len(t, raw, KeySize)
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	path := filepath.Join(dir, "secret.key")

	created, err := LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	_, err = ParseKey(created)
	require.NoError(t, err)

	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	dirInfo, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), dirInfo.Mode().Perm())

	loaded, err := LoadOrCreateKeyFile(path)
	require.NoError(t, err)
	require.Equal(t, created, loaded)
}

func TestLoadOrCreateKeyFileRejectsBadKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	require.NoError(t, os.WriteFile(path, []byte("not a key\n"), 0o600))
	_, err := LoadOrCreateKeyFile(path)
	require.Error(t, err)
	require.Contains(t, err.Error(), path)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "not a key\n", string(data), "a bad key file must not be overwritten")
}
