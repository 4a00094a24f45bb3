package workflows_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/worker"
)

// TestReplayRecordedHistories replays every history recorded in testdata/
// (ROUTEDESK_RECORD_HISTORIES=1 go test ./server/ records them) against the
// current workflow code: a change that breaks determinism fails here. Keep
// old histories; guard changes with workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata/")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			replayer := sdkworker.NewWorkflowReplayer()
			worker.RegisterWorkflows(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// TestReplayRecordedHistoriesThroughCodec replays them as workers do now,
// with the encrypting data converter: recorded payloads, in plain text,
// pass through it.
func TestReplayRecordedHistoriesThroughCodec(t *testing.T) {
	codec, err := payloadcodec.New([]byte("0123456789abcdef0123456789abcdef")) // testenv.TestKey, decoded
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			replayer, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{
				DataConverter: codec.DataConverter(), FailureConverter: codec.FailureConverter(),
			})
			require.NoError(t, err)
			worker.RegisterWorkflows(replayer)
			require.NoError(t, replayer.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}
