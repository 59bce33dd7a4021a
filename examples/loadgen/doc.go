// Command loadgen measures a line's whole inbound path on this machine:
// signed webhook deliveries over HTTP on loopback → signature check →
// chat.Server.Accept (durable in the store) → the runtime's workers → a
// handler that replies → whatsapp.Channel → whatsapp.Client over HTTP on
// loopback → whatsapptest's fake Graph API.
//
// It reports, per store, the sustained rate of handled messages (replies
// accepted by the fake API per second), the ack latency (delivery to the
// webhook's 200, which it answers once the events are durable) and the
// latency from delivery to reply, as p50/p90/p99.
//
// Every run is bounded by a message count and a duration, and talks only to
// servers it starts on 127.0.0.1. Meta's side is played by a lean sender:
// each delivery is signed and built down to its bytes before the clock
// starts, and written on a kept-alive connection, so that the generator
// takes little of the CPU it shares with what it measures.
//
//	go run ./examples/loadgen -stores sqlite -n 40000 -duration 10s -rate 5000 -concurrency 512 -workers 256
//
// SQLite runs with -sqlite-sync normal unless -sqlite-sync full is given
// (the library's default). -runs N repeats each store's run N times, each
// on a fresh store, and ends with the median, range and every value of the
// main figures: on a shared machine one run can be a fifth faster or slower
// than the next. BENCHMARKS.md has the figures.
//
// Each run starts on a fresh store, so by default every person's first
// message makes their contact and data key: a cold start, with as many new
// people as -contacts. -known makes the store know them all before the
// clock starts, as a line does in its steady state, where most messages
// come from people who wrote before.
//
// With -cpuprofile, the goroutines doing Meta's side of the run (the sender
// and the fake Graph API) carry the profile label side=meta and the line's
// side=line, so that `go tool pprof -tags` tells how much of the CPU the
// line itself used.
//
// The postgres store needs -postgres (default $IMPACTCHAT_TEST_POSTGRES), a
// database on this machine; each run works in a new schema and drops it.
package main
