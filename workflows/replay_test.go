package workflows_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/worker"
	"github.com/routedesk/routedesk/workflows"
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

// TestRetiredHistoriesFailLoudly replays every history in testdata/retired/<change id>/ (runs
// from before a change whose old branch was deleted and whose version is pinned) and requires
// the SDK's non-determinism error naming that change: a retired version fails loudly, never
// silently takes the new code.
func TestRetiredHistoriesFailLoudly(t *testing.T) {
	retired := map[string]bool{}
	for _, c := range workflows.Changes {
		retired[c.ID] = c.Retired
	}
	files, err := filepath.Glob(filepath.Join("testdata", "retired", "*", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no retired histories in testdata/retired/")
	for _, f := range files {
		change := filepath.Base(filepath.Dir(f))
		t.Run(change+"/"+filepath.Base(f), func(t *testing.T) {
			require.True(t, retired[change], "testdata/retired/%s/ names no retired change of workflows.Changes", change)
			replayer := sdkworker.NewWorkflowReplayer()
			worker.RegisterWorkflows(replayer)
			err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, f)
			require.Error(t, err, "a history from before the retired change %s replayed without error", change)
			require.Contains(t, err.Error(), "[TMPRL1100]", "not a non-determinism error")
			require.Contains(t, err.Error(), `"`+change+`"`)
		})
	}
}
