package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/workflows"
)

// TestWorkflowSummaryThroughTemporalAPI reads what the Temporal UI shows of a
// conversation — static summary and details, current details, activity
// summaries — through Temporal's API, decoded with the codec; the stored
// history holds only ciphertext of the contact and subject, and the workflow id
// no thread id (TestTemporalHoldsNoPersonalData checks every channel type).
func TestWorkflowSummaryThroughTemporalAPI(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)
	r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
		"external_id": "m-1", "thread_id": "visitor-7", "subject": "Printer on fire",
		"from": map[string]any{"email": "ada@example.com", "name": "Ada Lovelace"}, "text": "It smokes.",
	})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	wfID := r.Map(t)["workflow_id"].(string)
	ticket := waitTicket(t, s, token, "channel_id="+ch)
	ctx := context.Background()
	codec := s.Codec
	dc := codec.DataConverter()

	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, wfID, "")
	require.NoError(t, err)
	md := desc.GetExecutionConfig().GetUserMetadata()
	require.NotNil(t, md, "the workflow carries user metadata")
	require.Equal(t, payloadcodec.EncodingName, string(md.GetSummary().GetMetadata()["encoding"]), "the summary is stored encrypted")
	require.NotContains(t, string(md.GetSummary().GetData()), "Ada")
	var summary, details string
	require.NoError(t, dc.FromPayload(md.GetSummary(), &summary))
	require.NoError(t, dc.FromPayload(md.GetDetails(), &details))
	require.Equal(t, "chat “Website chat” · Ada Lovelace <ada@example.com> · “Printer on fire”", summary)
	require.Contains(t, details, "**Conversation** `"+ticket["conversation_id"].(string)+"`")

	v, err := s.Temporal.QueryWorkflow(ctx, wfID, "", "__temporal_workflow_metadata")
	require.NoError(t, err)
	var meta sdk.WorkflowMetadata
	require.NoError(t, v.Get(&meta))
	current := meta.GetCurrentDetails()
	require.Contains(t, current, "**Ticket** `"+ticket["id"].(string)+"`")
	require.Contains(t, current, "Printer on fire")
	require.Contains(t, current, "**Contact** Ada Lovelace <ada@example.com> `"+ticket["contact_id"].(string)+"`")
	require.Contains(t, current, "**Routing** unassigned")
	require.Contains(t, current, "**Assignee** none")
	require.Contains(t, current, "**Reply window** none")
	testenv.RecordHistory(t, s.Temporal, wfID, "conversation_ops_view_summary")

	// What Temporal stores: the raw history, read past the SDK's data converter.
	h := rawHistory(t, s, wfID)
	raw, err := proto.Marshal(h)
	require.NoError(t, err)
	requireNothingPersonal(t, "the stored history", raw, []string{"ada@example.com", "Ada Lovelace", "Printer on fire", "visitor-7"})
	testenv.DecodePayloads(t, codec, h)
	decoded, err := proto.Marshal(h)
	require.NoError(t, err)
	require.True(t, bytes.Contains(decoded, []byte("ada@example.com")), "decoded, the history has the contact: the check above can fail")

	// Activities and local activities (the opening: one marker) carry their summaries.
	var activitySummaries []string
	for _, ev := range h.Events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetUserMetadata().GetSummary() == nil {
				continue
			}
			var s string
			require.NoError(t, converter.GetDefaultDataConverter().FromPayload(ev.GetUserMetadata().GetSummary(), &s))
			activitySummaries = append(activitySummaries, s)
		}
	}
	require.Contains(t, activitySummaries, "Open the conversation: contact, rules, ticket and route")
}

func rawHistory(t *testing.T, s *testenv.Stack, wfID string) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	var next []byte
	for {
		resp, err := s.Temporal.WorkflowService().GetWorkflowExecutionHistory(context.Background(), &workflowservice.GetWorkflowExecutionHistoryRequest{
			Namespace: s.Server.Namespace(), Execution: &commonpb.WorkflowExecution{WorkflowId: wfID}, NextPageToken: next,
		})
		require.NoError(t, err)
		h.Events = append(h.Events, resp.GetHistory().GetEvents()...)
		if next = resp.GetNextPageToken(); len(next) == 0 {
			return h
		}
	}
}

func codecBody(t *testing.T, p ...*commonpb.Payload) string {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: p})
	require.NoError(t, err)
	return string(b)
}

func codecAnswer(t *testing.T, r testenv.Response) []*commonpb.Payload {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(r.Body, &out))
	return out.Payloads
}

// TestCodecEndpointAuthRoundTripAndCORS: /codec needs an admin token
// (401 without, 403 for an agent), encodes and decodes, refuses a bad body
// with a 422 naming the field, and answers the Temporal UI's CORS preflight.
func TestCodecEndpointAuthRoundTripAndCORS(t *testing.T) {
	s := testenv.NewStack(t)
	f := makeFixtures(t, s, "Ops")
	plain, err := converter.GetDefaultDataConverter().ToPayload("Ada Lovelace <ada@example.com>")
	require.NoError(t, err)
	body := codecBody(t, plain)

	require.Equal(t, http.StatusUnauthorized, s.Do(http.MethodPost, "/codec/decode", "", body).Status, "no token")
	require.Equal(t, http.StatusUnauthorized, s.Do(http.MethodPost, "/codec/encode", "rdk_forged", body).Status)
	require.Equal(t, http.StatusForbidden, s.Do(http.MethodPost, "/codec/decode", f.agent, body).Status, "agent token")

	enc := codecAnswer(t, s.Do(http.MethodPost, "/codec/encode", f.token, body))
	require.Equal(t, payloadcodec.EncodingName, string(enc[0].Metadata["encoding"]))
	require.NotContains(t, string(enc[0].Data), "Ada")
	dec := codecAnswer(t, s.Do(http.MethodPost, "/codec/decode", f.token, codecBody(t, enc...)))
	require.True(t, proto.Equal(plain, dec[0]), "decode gives back the payload")

	// A payload the workflow encrypted decodes the same way (the key is the stack's).
	fromWorker, err := testenv.Codec(t).Encode([]*commonpb.Payload{plain})
	require.NoError(t, err)
	dec = codecAnswer(t, s.Do(http.MethodPost, "/codec/decode", f.token, codecBody(t, fromWorker...)))
	require.True(t, proto.Equal(plain, dec[0]))

	bad := s.Do(http.MethodPost, "/codec/decode", f.token, `{"payloads": 7}`)
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status, string(bad.Body))
	require.Contains(t, string(bad.Body), `"field":"payloads"`)
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	tampered := s.Do(http.MethodPost, "/codec/decode", f.token, codecBody(t, enc...))
	require.Equal(t, http.StatusUnprocessableEntity, tampered.Status, string(tampered.Body))

	api := server.New(s.Store, s.Temporal, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue, Codec: testenv.Codec(t),
		CodecOrigins: []string{"http://127.0.0.1:8233"}}, quietLog(), nil, nil)
	base := httptestServer(t, api)
	req, err := http.NewRequest(http.MethodOptions, base+"/codec/decode", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://127.0.0.1:8233")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-namespace")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, "http://127.0.0.1:8233", resp.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "X-Namespace")
	req.Header.Set("Origin", "http://evil.example")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "another origin is not allowed")
}

// TestCodecEndpointLoopbackOnlyInDev: without a token, a loopback request
// is decoded only when the API runs in dev mode, and never when forwarded by a proxy.
func TestCodecEndpointLoopbackOnlyInDev(t *testing.T) {
	s := testenv.NewStack(t)
	enc, err := testenv.Codec(t).Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`)}})
	require.NoError(t, err)
	body := codecBody(t, enc...)

	prod := httptestServer(t, server.New(s.Store, s.Temporal, server.Config{ConversationIDs: testenv.ConversationIDs(t), Codec: testenv.Codec(t)}, quietLog(), nil, nil))
	require.Equal(t, http.StatusUnauthorized, testenv.Do(t, prod, http.MethodPost, "/codec/decode", "", body).Status,
		"outside dev a loopback caller still needs a token")

	dev := httptestServer(t, server.New(s.Store, s.Temporal, server.Config{ConversationIDs: testenv.ConversationIDs(t), Codec: testenv.Codec(t), CodecLoopback: true}, quietLog(), nil, nil))
	dec := codecAnswer(t, testenv.Do(t, dev, http.MethodPost, "/codec/decode", "", body))
	require.Equal(t, `"x"`, string(dec[0].Data))

	req, err := http.NewRequest(http.MethodPost, dev+"/codec/decode", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a proxied request is not a loopback caller")
	require.Equal(t, http.StatusUnauthorized, testenv.Do(t, dev, http.MethodPost, "/codec/decode", "rdk_forged", body).Status,
		"a token given is checked, even from loopback")
	require.Equal(t, http.StatusUnauthorized, testenv.Do(t, dev, http.MethodPost, "/codec/encode", "", body).Status,
		"encoding needs a token even from loopback")

	// A DNS-rebinding page reaches the loopback listener under its own name: the Host header gives it away.
	rebound := codecRequest(t, dev+"/codec/decode", "application/json", body)
	rebound.Host = "rebind.attacker.example:8080"
	require.Equal(t, http.StatusUnauthorized, doStatus(t, rebound), "a Host that is not this machine is not trusted")
	local := codecRequest(t, dev+"/codec/decode", "application/json", body)
	local.Host = "localhost:8080"
	require.Equal(t, http.StatusOK, doStatus(t, local), "localhost is this machine")
}

// TestCodecEndpointRefusesWhatIsNotPayloads: a simple cross-origin body (text/plain) is 415, and
// anything but {"payloads": [...]} is a 422 naming payloads.
func TestCodecEndpointRefusesWhatIsNotPayloads(t *testing.T) {
	s := testenv.NewStack(t)
	f := makeFixtures(t, s, "Codec")
	enc, err := testenv.Codec(t).Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`)}})
	require.NoError(t, err)
	body := codecBody(t, enc...)

	plainText := codecRequest(t, s.HTTP.URL+"/codec/decode", "text/plain", body)
	plainText.Header.Set("Authorization", "Bearer "+f.token)
	require.Equal(t, http.StatusUnsupportedMediaType, doStatus(t, plainText))

	for _, bad := range []string{`{"foo":1}`, `{}`, `{"payloads":[],"foo":1}`, `[]`, `{"payloads":[{"bogus":1}]}`} {
		r := s.Do(http.MethodPost, "/codec/decode", f.token, bad)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", bad, r.Body)
		require.Contains(t, string(r.Body), `"field":"payloads"`, bad)
	}
	// Data after the document is refused by the API's one JSON check, before the codec reads it.
	r := s.Do(http.MethodPost, "/codec/decode", f.token, `{"payloads":[]}{}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Equal(t, http.StatusOK, s.Do(http.MethodPost, "/codec/decode", f.token, body).Status)
}

func codecRequest(t *testing.T, url, contentType, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	return req
}

func doStatus(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}
