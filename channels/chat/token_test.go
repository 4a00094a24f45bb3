package chat

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTokenBoundToChannelKeyAndTime(t *testing.T) {
	key, other := []byte("k1-0123456789abcdef0123456789ab"), []byte("k2-0123456789abcdef0123456789ab")
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	tok := signToken(key, "ch_a", "vis_1", now.Add(TokenTTL))

	c, err := parseToken(key, "ch_a", tok, now)
	require.NoError(t, err)
	require.Equal(t, "vis_1", c.Visitor)

	_, err = parseToken(key, "ch_b", tok, now)
	require.ErrorIs(t, err, errBadToken, "another channel")
	_, err = parseToken(other, "ch_a", tok, now)
	require.ErrorIs(t, err, errBadToken, "another key")
	c, err = parseToken(key, "ch_a", tok, now.Add(TokenTTL))
	require.ErrorIs(t, err, errExpiredToken)
	require.Equal(t, "vis_1", c.Visitor, "an expired token still names its visitor, for a refresh")

	body, sig, _ := strings.Cut(strings.TrimPrefix(tok, tokenPrefix), ".")
	forged := signToken(other, "ch_a", "vis_2", now.Add(TokenTTL))
	fbody, _, _ := strings.Cut(strings.TrimPrefix(forged, tokenPrefix), ".")
	for name, bad := range map[string]string{"empty": "", "no prefix": body + "." + sig, "no signature": tokenPrefix + body,
		"swapped body": tokenPrefix + fbody + "." + sig, "bad base64": tokenPrefix + "!!." + sig, "truncated sig": tok[:len(tok)-3]} {
		_, err := parseToken(key, "ch_a", bad, now)
		require.ErrorIs(t, err, errBadToken, name)
	}
}

func TestUserHash(t *testing.T) {
	// printf %s 'jo@example.com' | openssl dgst -sha256 -hmac s3cret
	require.Equal(t, "e7cdd6d7bc28284e762da5036212456dc0de456d3b745d19001a2a2fdff691ea", UserHash("s3cret", "jo@example.com"))
	require.True(t, userHashValid("s3cret", "jo@example.com", strings.ToUpper(UserHash("s3cret", "jo@example.com"))))
	require.False(t, userHashValid("s3cret", "jo@example.com", UserHash("s3cret", "jo@example.org")))
	require.False(t, userHashValid("s3cret", "jo@example.com", ""))
}

func FuzzParseToken(f *testing.F) {
	key := []byte("fuzz-key-0123456789abcdef012345")
	now := time.Unix(1_800_000_000, 0)
	f.Add(signToken(key, "ch_a", "vis_1", now.Add(time.Hour)))
	f.Add(tokenPrefix + "e30." + "AAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := parseToken(key, "ch_a", tok, now)
		if err == nil && (c.Channel != "ch_a" || c.Visitor == "") {
			t.Fatalf("accepted %q as %+v", tok, c)
		}
	})
}

func TestFileLinkBoundToChannelKeyAndTime(t *testing.T) {
	key, now := []byte("k1"), time.Unix(1_700_000_000, 0)
	link := fileLink(key, "ch_a", fileClaims{Message: "msg_1", N: 2, Visitor: "vis_1", Expires: now.Add(FileLinkTTL).Unix()})
	tok := strings.TrimPrefix(link, "/chat/v1/ch_a/files/")
	cl, err := parseFileLink(key, "ch_a", tok, now)
	if err != nil || cl.Message != "msg_1" || cl.N != 2 || cl.Visitor != "vis_1" {
		t.Fatalf("%+v %v", cl, err)
	}
	if _, err := parseFileLink(key, "ch_b", tok, now); err != errBadFileLink {
		t.Fatalf("another channel: %v", err)
	}
	if _, err := parseFileLink([]byte("k2"), "ch_a", tok, now); err != errBadFileLink {
		t.Fatalf("another key: %v", err)
	}
	if _, err := parseFileLink(key, "ch_a", tok, now.Add(FileLinkTTL)); err != errExpiredFileLink {
		t.Fatalf("expired: %v", err)
	}
}
