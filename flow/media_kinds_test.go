package flow_test

import (
	"testing"

	"github.com/impactchat/impactchat/flow"
)

// Media given per language (audio for people who cannot read, most of
// all) is given for every language or once for all, kind by kind: a shared
// image does not make up for the audio left out of Arabic.
func TestAudioMissingForALanguageBesideASharedImage(t *testing.T) {
	pb, err := flow.Parse("m.yaml", []byte(`playbook: m
version: 1
languages: [en, es, ar]
nodes:
  - id: office
    say: {en: "Our office", es: "Nuestra oficina", ar: "مكتبنا"}
    media:
      image: media/map.png
      en: {audio: media/office-en.ogg}
      es: {audio: media/office-es.ogg}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := flow.Validate(pb, nil); err == nil {
		t.Errorf("node %q has audio in en and es but none in ar, and Validate reports nothing", "office")
	}
}
