//go:build race

package sqlite_test

// raceEnabled makes the slowest tests smaller under the race detector,
// which slows the SQLite engine down many times.
const raceEnabled = true
