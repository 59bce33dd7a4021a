// Package flowtest runs playbooks without a channel or a store: a
// Conversation holds one person's session and contact fields in memory,
// sends them through the engine and writes what the line says as plain
// text. The playbook command's try uses it, and so do transcript tests:
// [Transcripts] plays script files that start with a "!load file.yaml..."
// line against .golden files, in a test of your own playbooks.
//
// A script is one input per line:
//
//	hello               the person types "hello"
//	2                   the person types "2" (the second option)
//	!tap staff          the person taps the option with id "staff"
//	!photo              the person sends a photo (not text)
//	!lang es            the contact's language becomes "es"
//	!field city=quito   the contact's field city becomes "quito"
//	!time 2026-11-23T10:00:00-05:00   the clock is set
//	# comment           ignored, as are empty lines
package flowtest
