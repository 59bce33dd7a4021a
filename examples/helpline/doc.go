// Command helpline is a complete information and referral line for a
// WhatsApp number, of the kind UNHCR and settlement services run: the privacy
// notice first, a menu of verified information, urgent cases to staff at
// once, human answers within the promised time, nothing lost, and nothing of
// a person's data kept that they did not agree to.
//
// Run it with no configuration and it uses the embedded SQLite store (a file
// in the working directory) and the built-in simulator of the WhatsApp Graph
// API: the terminal becomes the phone of a community member and the staff
// console is served on the loopback.
//
//	go run ./examples/helpline
//
// With WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET and
// WHATSAPP_VERIFY_TOKEN set, it serves Meta's webhook on /webhook and sends
// through the Graph API (WHATSAPP_API_URL overrides its base URL).
//
// Flags:
//
//	-addr ADDR      listen address (default 127.0.0.1:8080 with the
//	                simulator, :8080 with WhatsApp credentials)
//	-db PATH|URL    a SQLite file (default helpline.db), a postgres:// URL, or
//	                memory: to keep nothing (for trying the line only)
//	-keyfile PATH   the keyring file (default: the database path + ".key");
//	                HELPLINE_KEYRING may hold the keyring instead
//	-content DIR    playbooks, notices, lexicons and line.yaml (default: the
//	                content folder beside this file when run from the
//	                repository, else the built-in copy)
//	-phone=false    in simulator mode, do not use the terminal as a phone
//	-workers N      events handled at once (default 128, at most 4096)
//
// The first staff account is created from the command line; there is no
// default password:
//
//	go run ./examples/helpline adduser -login amina -name "Amina K."
//
// /healthz answers when the process is up, /readyz when the store and the
// content are loaded.
package main
