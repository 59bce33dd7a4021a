// Package storagetest is the conformance suite every storage backend passes.
//
// A backend's tests call [Run] with a function that opens a fresh, empty
// store:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Store {
//			st := memory.New()
//			t.Cleanup(func() { st.Close() })
//			return st
//		})
//	}
//
// The suite knows nothing of any backend: it uses the storage contracts
// alone, so a rule it checks is a rule every backend keeps. Each behaviour is
// a named subtest (Run's subtests are grouped per aggregate, as in
// "Inbox/NackBlocksPartitionUntilRetry") on its own store, errors are
// compared with errors.Is, and the concurrency tests check what a line
// shared by several workers or replicas relies on: every inbox event handled
// exactly once and in order per partition, a ticket claimed once, one winner
// for every compare-and-swap.
//
// Times in the suite are whole seconds in UTC, and compared with
// time.Time.Equal, so backends may store them at microsecond precision and
// return them in any location.
package storagetest
