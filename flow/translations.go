package flow

import "strings"

// TextEntry is one text of a playbook, with all its translations.
type TextEntry struct {
	Pos   Pos
	Where string // e.g. "menu: choice rights title"
	Text  Text
}

// Texts lists every translatable text of pb in the order it is written:
// messages, then each node's text, button, re-prompt, and its choices'
// titles and descriptions. Translators work from this list (the playbook
// command writes it as CSV).
func Texts(pb *Playbook) []TextEntry {
	var out []TextEntry
	add := func(t Text, where string, pos Pos) {
		if t.IsZero() {
			return
		}
		if p := t.pos(); p.Line != 0 {
			pos = p
		}
		out = append(out, TextEntry{Pos: pos, Where: where, Text: t})
	}
	for _, key := range messageKeys {
		add(pb.Messages[key], "messages: "+key, pb.Pos)
	}
	for _, n := range pb.Nodes {
		add(n.Text, n.ID+": "+string(n.Kind), n.Pos)
		add(n.Button, n.ID+": button", n.Pos)
		add(n.Retry, n.ID+": retry", n.Pos)
		for _, c := range n.Choices {
			add(c.Title, n.ID+": choice "+c.ID+" title", c.Pos)
			add(c.Description, n.ID+": choice "+c.ID+" description", c.Pos)
		}
	}
	return out
}

// MissingText is a text of a playbook that lacks some translations.
type MissingText struct {
	Pos   Pos
	Where string   // e.g. "menu: choice rights title"
	Langs []string // the declared languages it lacks
}

// Missing lists every text of pb that lacks a translation into one of its
// declared languages, in the order they are written.
func Missing(pb *Playbook) []MissingText {
	var out []MissingText
	for _, e := range Texts(pb) {
		var langs []string
		for _, l := range pb.Languages {
			if strings.TrimSpace(e.Text.Get(l, "")) == "" {
				langs = append(langs, l) // absent, or left empty
			}
		}
		if len(langs) > 0 {
			out = append(out, MissingText{Pos: e.Pos, Where: e.Where, Langs: langs})
		}
	}
	return out
}
