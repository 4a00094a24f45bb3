package secrets

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func newTestBox(t *testing.T) *Box {
	t.Helper()
	key, err := GenerateKey()
	require.NoError(t, err)
	raw, err := ParseKey(key)
	require.NoError(t, err)
	box, err := NewBox(raw)
	require.NoError(t, err)
	return box
}

func TestSealOpenRoundTrip(t *testing.T) {
	box := newTestBox(t)
	for _, plain := range [][]byte{nil, []byte(""), []byte("x"), []byte(`{"page_access_token":"EAAB..."}`), bytes.Repeat([]byte("a"), 1<<16)} {
		sealed, err := box.Seal(plain, []byte("chan_1"))
		require.NoError(t, err)
		require.Len(t, sealed, overhead+len(plain))
		require.Equal(t, version1, sealed[0])
		got, err := box.Open(sealed, []byte("chan_1"))
		require.NoError(t, err)
		require.Equal(t, len(plain), len(got))
		require.True(t, bytes.Equal(plain, got))
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	box := newTestBox(t)
	a, err := box.Seal([]byte("same"), nil)
	require.NoError(t, err)
	b, err := box.Seal([]byte("same"), nil)
	require.NoError(t, err)
	require.NotEqual(t, a, b)
}

func TestCiphertextHidesPlaintext(t *testing.T) {
	box := newTestBox(t)
	plain := []byte("super-secret-page-access-token-super-secret")
	sealed, err := box.Seal(plain, nil)
	require.NoError(t, err)
	require.False(t, bytes.Contains(sealed, plain))
	require.False(t, bytes.Contains(sealed, []byte("super-secret")))
}

func TestOpenDetectsTampering(t *testing.T) {
	box := newTestBox(t)
	sealed, err := box.Seal([]byte("hello, world"), []byte("ad"))
	require.NoError(t, err)
	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 0x01
		_, err := box.Open(tampered, []byte("ad"))
		require.Error(t, err, "flipping byte %d must be detected", i)
		require.True(t, errors.Is(err, ErrOpen))
	}
	for _, n := range []int{0, 1, overhead - 1} {
		_, err := box.Open(sealed[:n], []byte("ad"))
		require.ErrorIs(t, err, ErrOpen)
	}
	_, err = box.Open(append(bytes.Clone(sealed), 0), []byte("ad"))
	require.ErrorIs(t, err, ErrOpen)
}

func TestOpenWrongAdditionalData(t *testing.T) {
	box := newTestBox(t)
	sealed, err := box.Seal([]byte("hello"), []byte("chan_1"))
	require.NoError(t, err)
	_, err = box.Open(sealed, []byte("chan_2"))
	require.ErrorIs(t, err, ErrOpen)
	_, err = box.Open(sealed, nil)
	require.ErrorIs(t, err, ErrOpen)
}

func TestOpenWrongKey(t *testing.T) {
	sealed, err := newTestBox(t).Seal([]byte("hello"), nil)
	require.NoError(t, err)
	_, err = newTestBox(t).Open(sealed, nil)
	require.ErrorIs(t, err, ErrOpen)
}

func TestNewBoxKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		_, err := NewBox(make([]byte, n))
		require.Error(t, err, "key of %d bytes", n)
	}
	_, err := NewBox(make([]byte, KeySize))
	require.NoError(t, err)
}
