package flow_test

import (
	"strings"
	"testing"

	"github.com/impactchat/impactchat/flow"
)

// WhatsApp requires reply button titles to be unique in a message: two
// choices with the same title in one language (a common translation slip)
// are refused by validation, naming the other choice.
func TestDuplicateButtonTitlesRefused(t *testing.T) {
	src := `playbook: dup
version: 1
languages: [en, es]
nodes:
  - id: q
    ask: {en: "Is this urgent?", es: "¿Es urgente?"}
    choices:
      - id: yes
        title: {en: "Yes", es: "Sí"}
        next: bye
      - id: very
        title: {en: Very, es: "Sí"}
        next: bye
  - id: bye
    end: {en: Bye, es: Adiós}
`
	pb, err := flow.Parse("dup.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = flow.Validate(pb, nil)
	if err == nil || !strings.Contains(err.Error(), `the same title "Sí" as choice "yes"`) {
		t.Fatalf("two reply buttons titled \"Sí\" in one question: %v; want them refused", err)
	}
}

// A node that gives audio for people who cannot read in English but not in
// Arabic (a declared language) is refused, as the same gap in its text is.
func TestAudioMissingForALanguage(t *testing.T) {
	src := `playbook: audio
version: 1
languages: [en, ar]
nodes:
  - id: welcome
    say: {en: Welcome, ar: مرحبا}
    media:
      en: {audio: https://media.example.org/welcome-en.ogg}
`
	pb, err := flow.Parse("audio.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	err = flow.Validate(pb, nil)
	if err == nil || !strings.Contains(err.Error(), `none in "ar"`) {
		t.Fatalf("welcome has English audio but no Arabic audio: %v; want it refused naming ar", err)
	}
}
