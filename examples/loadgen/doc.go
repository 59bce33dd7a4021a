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
// servers it starts on 127.0.0.1.
//
//	go run ./examples/loadgen -stores memory,sqlite -rate 5000 -n 50000 -duration 10s
//
// The postgres store needs -postgres (default $IMPACTCHAT_TEST_POSTGRES), a
// database on this machine; each run works in a new schema and drops it.
package main
