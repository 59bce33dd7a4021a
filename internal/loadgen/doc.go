// Package loadgen drives bounded load and summarises latencies. It knows
// nothing of chat lines: examples/loadgen wires it to a full pipeline
// (webhook over HTTP, the runtime, a store, the fake Graph API) and reports
// what it measured.
//
// Every run is bounded twice, by a count of operations and by a duration,
// and the targets a run talks to must be on the loopback interface
// (CheckLoopback), so a load generator can never be aimed at a real service
// by accident.
package loadgen
