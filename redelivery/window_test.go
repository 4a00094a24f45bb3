package redelivery

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Without a running loop every request delivers; with one, a full window (or older messages
// waiting) defers, a failed attempt frees its slot at once and a delivered one keeps it until
// its conversation has a ticket.
func TestWindowAdmitsUpToItsSize(t *testing.T) {
	var opened []string
	w := newWindow(2, time.Hour, func(context.Context, []string) ([]string, error) { return opened, nil })
	require.True(t, w.admit("m0", "c0"), "no loop: the request delivers")
	require.Equal(t, 2, w.free(), "and holds no slot")

	w.running = true
	require.True(t, w.admit("m1", "c1"))
	require.True(t, w.admit("m2", "c2"))
	require.False(t, w.admit("m3", "c3"), "the window is full")
	require.Equal(t, 0, w.free())

	w.done("m1", false)
	require.Equal(t, 1, w.free(), "a failed attempt frees its slot")
	require.False(t, w.admit("m4", "c4"), "a deferred message waits: later requests do not overtake it")
	w.setQueued(false)

	w.done("m2", true)
	w.release(context.Background())
	require.Equal(t, 1, w.free(), "delivered, no ticket yet: the slot is held")
	opened = []string{"c2"}
	w.release(context.Background())
	require.Equal(t, 2, w.free(), "the ticket frees it")
	select {
	case <-w.freed:
	default:
		t.Fatal("a freed slot wakes the loop")
	}
}
