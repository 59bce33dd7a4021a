// Package sqlstoretest holds the checks the SQL backends share beyond the
// conformance suite: that personal data never reaches the database in the
// clear, and that erasure leaves no sealed content behind.
package sqlstoretest
