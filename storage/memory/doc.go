// Package memory is a storage backend that keeps everything in memory.
//
// It implements every contract of package storage with maps behind one
// mutex, keeps their rules exactly (the same conformance suite runs against
// it as against the SQL backends) and loses everything when the process
// ends. Use it in tests of code built on storage, and in demos; a line that
// must survive a restart uses storage/sqlite or storage/postgres.
//
// Nothing is sealed, since nothing leaves the process, but the contracts'
// rules about personal data still hold: records go in and out as copies,
// Erase removes a contact's content, and the consent ledger names a contact
// by a keyed hash (see [WithSubjectKey]).
//
// The inbox keeps the head of each contact's queue in a heap, so Claim
// finds the oldest free events without looking at every contact: a busy
// line with thousands of people waiting claims as fast as an idle one.
//
// Ids default to a counter (1, 2, 3...) and times not given by the caller
// come from [WithClock], so tests that use the store are deterministic.
package memory
