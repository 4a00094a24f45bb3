//go:build race

package rules

// raceEnabled is true under the race detector, whose sync.Pool drops values at random.
const raceEnabled = true
