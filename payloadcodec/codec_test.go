package payloadcodec_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/routedesk/routedesk/payloadcodec"
)

var (
	oldSecret = bytes.Repeat([]byte{1}, 32)
	newSecret = bytes.Repeat([]byte{2}, 32)
)

func plain(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestEncodeHidesPayloadAndDecodeRestoresIt(t *testing.T) {
	c, err := payloadcodec.New(newSecret)
	require.NoError(t, err)
	in := plain(t, map[string]string{"email": "ada@example.com"})
	enc, err := c.Encode([]*commonpb.Payload{in})
	require.NoError(t, err)
	require.Equal(t, payloadcodec.EncodingName, string(enc[0].Metadata[payloadcodec.MetadataEncoding]))
	require.Equal(t, c.KeyID(), string(enc[0].Metadata[payloadcodec.MetadataKeyID]))
	require.NotContains(t, string(enc[0].Data), "ada@example.com")
	require.NotContains(t, string(enc[0].Data), "json/plain", "the original metadata is encrypted too")

	dec, err := c.Decode(enc)
	require.NoError(t, err)
	require.Equal(t, in.Data, dec[0].Data)
	require.Equal(t, in.Metadata, dec[0].Metadata)

	again, err := c.Encode([]*commonpb.Payload{in})
	require.NoError(t, err)
	require.NotEqual(t, enc[0].Data, again[0].Data, "a fresh nonce each time")
}

func TestRotatedKeyStillDecodesOldPayloads(t *testing.T) {
	old, err := payloadcodec.New(oldSecret)
	require.NoError(t, err)
	byOld, err := old.Encode([]*commonpb.Payload{plain(t, "before rotation")})
	require.NoError(t, err)

	rotated, err := payloadcodec.New(newSecret, oldSecret)
	require.NoError(t, err)
	require.NotEqual(t, old.KeyID(), rotated.KeyID())
	dec, err := rotated.Decode(byOld)
	require.NoError(t, err)
	var s string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(dec[0], &s))
	require.Equal(t, "before rotation", s)

	byNew, err := rotated.Encode([]*commonpb.Payload{plain(t, "after")})
	require.NoError(t, err)
	require.Equal(t, rotated.KeyID(), string(byNew[0].Metadata[payloadcodec.MetadataKeyID]))

	withoutOld, err := payloadcodec.New(newSecret)
	require.NoError(t, err)
	_, err = withoutOld.Decode(byOld)
	require.ErrorIs(t, err, payloadcodec.ErrUnknownKey, "a dropped key no longer decodes")
	_, err = old.Decode(byNew)
	require.ErrorIs(t, err, payloadcodec.ErrUnknownKey)
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	c, err := payloadcodec.New(newSecret)
	require.NoError(t, err)
	in := []*commonpb.Payload{plain(t, "recorded before encryption"), {}}
	out, err := c.Decode(in)
	require.NoError(t, err)
	require.Equal(t, in, out)
}

func TestTamperedPayloadIsRefused(t *testing.T) {
	c, err := payloadcodec.New(newSecret)
	require.NoError(t, err)
	enc, err := c.Encode([]*commonpb.Payload{plain(t, "x")})
	require.NoError(t, err)
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	_, err = c.Decode(enc)
	require.Error(t, err)
	enc[0].Data = enc[0].Data[:5]
	_, err = c.Decode(enc)
	require.ErrorContains(t, err, "too short")
}

func TestShortSecretIsRefused(t *testing.T) {
	_, err := payloadcodec.New([]byte("short"))
	require.ErrorContains(t, err, "want at least 32")
}

func TestDataConverterRoundTrip(t *testing.T) {
	c, err := payloadcodec.New(newSecret)
	require.NoError(t, err)
	dc := c.DataConverter()
	p, err := dc.ToPayload("Ada Lovelace")
	require.NoError(t, err)
	require.NotContains(t, string(p.Data), "Ada")
	var s string
	require.NoError(t, dc.FromPayload(p, &s))
	require.Equal(t, "Ada Lovelace", s)
}

// FuzzDecode feeds the decoder what a codec endpoint caller may send: it never panics.
func FuzzDecode(f *testing.F) {
	c, err := payloadcodec.New(newSecret)
	if err != nil {
		f.Fatal(err)
	}
	enc, _ := c.Encode([]*commonpb.Payload{{Data: []byte("seed")}})
	f.Add([]byte(c.KeyID()), enc[0].Data)
	f.Add([]byte("nokey"), []byte{})
	f.Fuzz(func(t *testing.T, keyID, data []byte) {
		p := &commonpb.Payload{Metadata: map[string][]byte{
			payloadcodec.MetadataEncoding: []byte(payloadcodec.EncodingName), payloadcodec.MetadataKeyID: keyID}, Data: data}
		_, _ = c.Decode([]*commonpb.Payload{p})
	})
}
