// Command playbook helps people who write playbooks: it checks them, lists
// missing translations, and lets you chat with a playbook in the terminal,
// without WhatsApp.
//
//	playbook lint FILE...                 check playbooks; exit status 1 on any error
//	playbook translations [-csv] FILE...  missing translations per language; with
//	                                      -csv, every text in every language
//	playbook try [flags] FILE [FILE...]   chat with the first playbook; the others
//	                                      are the playbooks it may start
//
// try reads what the person types from standard input, one message per
// line, so a conversation can also be scripted:
//
//	printf 'hi\n3\nquito\n' | playbook try examples/playbooks/refugee-info.yaml examples/playbooks/feedback-survey.yaml
//
// Besides typed text, a line may be "!tap ID" (tap an option), "!photo" or
// "!voice" (send media instead of text), "!lang es", "!field city=quito" or
// "!time 2026-11-23T10:00:00-05:00".
package main
