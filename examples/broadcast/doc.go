// Command broadcast starts, watches, pauses, resumes and cancels a bulk
// campaign: an approved template sent to everyone who agreed to the
// campaign's purpose, paced below the line's limits, resumable after a crash
// without sending anyone a message twice.
//
// With no configuration it runs against the built-in simulator of the
// WhatsApp Graph API, with a demo store of people who agreed to follow-up
// alerts (and some who did not):
//
//	go run ./examples/broadcast
//	go run ./examples/broadcast -demo 5000 -throughput 200
//
// Interrupt it (Ctrl-C) and carry on where it stopped:
//
//	go run ./examples/broadcast resume -id <campaign id>
//
// Other commands, which work while another process is sending:
//
//	go run ./examples/broadcast status -id <campaign id>
//	go run ./examples/broadcast pause  -id <campaign id>
//	go run ./examples/broadcast cancel -id <campaign id>
//
// With WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID set it sends through the
// Graph API (WHATSAPP_API_URL overrides the base URL) to the contacts of the
// store given with -db, which must be the line's own store and keyring; name
// an approved template with -template. Delivery statuses then reach the
// campaign through the line's webhook, whose status handler chains
// broadcast's HandleStatus after chat.RecordStatus.
//
// Flags (before or after the command):
//
//	-db PATH         the SQLite store (default broadcast.db)
//	-keyfile PATH    the keyring file (default: the store path + ".key", created if missing)
//	-id ID           the campaign, for resume, status, pause and cancel
//	-template NAME   the approved template (default "service_update")
//	-lang CODE       the template's language (default "en")
//	-param VALUE     a body parameter; repeat for several
//	-text TEXT       send free text instead, only to people inside their 24-hour window
//	-purpose NAME    the consent purpose (default "followup")
//	-language CODE   only contacts with this language
//	-throughput N    the number's messages per second (default 80; the campaign uses 80 % of it)
//	-tier N          the daily messaging limit: 250, 2000, 10000, 100000 or 0 for unlimited
//	-demo N          simulator only: how many demo contacts to create in an empty store (default 1000)
//	-undeliverable P simulator only: the percentage of sends the simulator refuses with 131026 (default 2)
package main
