package chat

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStreamsCapPerServer: past the process-wide cap every visitor is refused until a stream ends.
func TestStreamsCapPerServer(t *testing.T) {
	s := newStreams(5, 3)
	var releases []func()
	for _, v := range []string{"a", "b", "c"} {
		by, rel := s.Acquire(v)
		require.Empty(t, by)
		releases = append(releases, rel)
	}
	by, _ := s.Acquire("d")
	require.Equal(t, "server", by)
	releases[1]()
	releases[1]() // a second release is harmless
	require.Equal(t, 2, s.Open())
	by, rel := s.Acquire("d")
	require.Empty(t, by)
	rel()
	require.Equal(t, 2, s.Open())
}
