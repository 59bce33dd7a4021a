// Package storage holds the contracts of everything a line remembers: record
// types, one small interface per aggregate, and the sentinel errors callers
// branch on. It imports nothing of the rest of the SDK.
//
// The aggregates:
//
//   - [Inbox]: durable, deduplicated intake of channel events, claimed by
//     workers one contact at a time and in order (or leased as they are
//     stored, by an inbox that is a [PutClaimer]).
//   - [Contacts]: the people a line talks to, keyed by channel and identifier.
//   - [ConsentLog]: append-only consent events with the current state per
//     purpose kept as a projection.
//   - [Sessions]: conversation-flow state as opaque versioned bytes.
//   - [Messages]: the conversation log with delivery statuses that never regress.
//   - [Tickets]: the human queue.
//   - [Broadcasts]: bulk campaigns and their recipients.
//   - [Audit]: the append-only record of staff actions.
//   - [Staff]: the accounts of staff who sign in to the console.
//
// A [Store] gives access to all of them; backends live in storage/memory,
// storage/sqlite (the embedded default) and storage/postgres, and every one
// passes the suite in storage/storagetest.
//
// Callers pass raw identifiers ([ContactRef]); backends that persist data
// protect them: lookups go through a keyed hash (a blind index), and message
// bodies, profile names, identifiers, contact fields and session state are
// sealed with a per-contact key, so that erasing a contact makes every copy of
// their content unreadable.
//
// Conventions every backend keeps:
//
//   - Records go in and come out as copies: a backend never keeps or hands
//     out a caller's slice or map.
//   - Wherever a call takes a limit, zero means no limit and a negative one
//     is [ErrInvalid].
//   - Bad input is a [*FieldError] naming the field (it matches [ErrInvalid]),
//     and nothing stored changes.
//   - After Close every call fails with [ErrClosed].
//   - Calls that write a time take it from the caller (a now argument or a
//     field of the record); where neither is given, the backend's clock fills
//     a zero time.
package storage
