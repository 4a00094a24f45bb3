package testenv

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/routedesk/routedesk/payloadcodec"
)

// RecordEnv is the environment variable that makes tests record workflow
// histories into workflows/testdata/ for the replay test.
const RecordEnv = "ROUTEDESK_RECORD_HISTORIES"

// RecordHistory writes a workflow's history to workflows/testdata/<name>.json
// when $ROUTEDESK_RECORD_HISTORIES is set; otherwise it does nothing.
func RecordHistory(t testing.TB, c client.Client, workflowID, name string) {
	t.Helper()
	if os.Getenv(RecordEnv) == "" {
		return
	}
	iter := c.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("read history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	DecodePayloads(t, recordCodec(t), h) // recorded histories stay readable; the replay test decodes both kinds
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "workflows", "testdata", name+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d events of %s into %s", len(h.Events), workflowID, path)
}

// lastStack is the codec of the newest test stack, which recorded histories are decoded with
// (their payloads are under keys in that stack's database).
var lastStack struct {
	sync.Mutex
	codec *payloadcodec.Codec
}

func recordCodec(t testing.TB) *payloadcodec.Codec {
	lastStack.Lock()
	defer lastStack.Unlock()
	if lastStack.codec != nil {
		return lastStack.codec
	}
	return Codec(t)
}
