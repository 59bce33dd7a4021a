//go:build race

package broadcast_test

// raceEnabled scales the large tests down under the race detector, which
// makes every send about ten times slower.
const raceEnabled = true
