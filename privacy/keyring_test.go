package privacy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/privacy"
)

var (
	oldSecret = bytes.Repeat([]byte{0x11}, 32)
	newSecret = bytes.Repeat([]byte{0x22}, 32)
)

// codecOf is a process's codec: the deployment key of secret (previous ones too) and its contact keyring.
func codecOf(t *testing.T, k *privacy.Keyring, secret []byte, previous ...[]byte) *payloadcodec.Codec {
	t.Helper()
	c, err := payloadcodec.New(secret, previous...)
	require.NoError(t, err)
	return c.WithKeyring(k)
}

// decodeThroughEndpoint decodes payloads as the Temporal UI does, through the codec endpoint of codec.
func decodeThroughEndpoint(t *testing.T, codec *payloadcodec.Codec, ps []*commonpb.Payload) (int, string) {
	t.Helper()
	e := payloadcodec.NewEndpoint(codec, payloadcodec.EndpointConfig{
		Authenticate: func(context.Context, string) (domain.Principal, error) {
			return domain.Principal{Role: domain.RoleAdmin}, nil
		},
		Fail: func(c *gin.Context, err error) { c.String(http.StatusInternalServerError, err.Error()) },
	})
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.POST("/codec/decode", e.Auth, e.Serve)
	var items []json.RawMessage
	for _, p := range ps {
		b, err := protojson.Marshal(p)
		require.NoError(t, err)
		items = append(items, b)
	}
	body, err := json.Marshal(map[string]any{"payloads": items})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/codec/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer admin")
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// Issue 30: a contact workflow's key, wrapped under the account key of the old ROUTEDESK_SECRET_KEY,
// still decodes after rotation (old key in ROUTEDESK_PREVIOUS_SECRET_KEYS), through the codec endpoint
// too; it is rewrapped under the new secret on that use, so the old secret can then be dropped.
func TestContactKeysSurviveSecretRotation(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	const wf = "conv:rotation-test"
	before, err := privacy.NewKeyring(st, oldSecret)
	require.NoError(t, err)
	plain, err := converter.GetDefaultDataConverter().ToPayload("Ada's card arrived broken")
	require.NoError(t, err)
	scoped := codecOf(t, before, oldSecret).WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: wf})
	enc, err := scoped.Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.True(t, payloadcodec.IsScopedKeyID(string(enc[0].Metadata[payloadcodec.MetadataKeyID])), "under the workflow's own key")
	oldRow, err := st.LivePrivacyKey(ctx, wf)
	require.NoError(t, err)

	// A process started with the new secret only cannot unwrap the key (and says what to do).
	fresh, err := privacy.NewKeyring(st, newSecret)
	require.NoError(t, err)
	code, body := decodeThroughEndpoint(t, codecOf(t, fresh, newSecret), enc)
	require.NotEqual(t, http.StatusOK, code, body)
	require.Contains(t, body, "ROUTEDESK_PREVIOUS_SECRET_KEYS")

	// Rotated: the new secret, the old one as previous. The endpoint decodes; the key is rewrapped.
	rotated, err := privacy.NewKeyring(st, newSecret, oldSecret)
	require.NoError(t, err)
	code, body = decodeThroughEndpoint(t, codecOf(t, rotated, newSecret, oldSecret), enc)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, payloadData(t, plain))
	newRow, err := st.LivePrivacyKey(ctx, wf)
	require.NoError(t, err)
	require.Equal(t, oldRow.ID, newRow.ID, "the same key")
	require.NotEqual(t, oldRow.WrapKeyID, newRow.WrapKeyID, "rewrapped under the new secret")
	require.NotEqual(t, oldRow.Wrapped, newRow.Wrapped)

	// The old secret dropped: a process with the new secret alone decodes the old payloads, and new ones.
	after, err := privacy.NewKeyring(st, newSecret)
	require.NoError(t, err)
	code, body = decodeThroughEndpoint(t, codecOf(t, after, newSecret), enc)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, payloadData(t, plain))
	again, err := codecOf(t, after, newSecret).WithSerializationContext(converter.WorkflowSerializationContext{WorkflowID: wf}).
		Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	require.Equal(t, enc[0].Metadata[payloadcodec.MetadataKeyID], again[0].Metadata[payloadcodec.MetadataKeyID], "the workflow keeps its key")
	// and a process still on the old secret alone can no longer unwrap it
	stale, err := privacy.NewKeyring(st, oldSecret)
	require.NoError(t, err)
	_, err = codecOf(t, stale, oldSecret).Decode(enc)
	require.ErrorContains(t, err, "unknown secret")
}

// payloadData is how the endpoint's protobuf JSON spells a payload's data (base64).
func payloadData(t *testing.T, p *commonpb.Payload) string {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payload{Data: p.Data})
	require.NoError(t, err)
	var m map[string]string
	require.NoError(t, json.Unmarshal(b, &m))
	return m["data"]
}
