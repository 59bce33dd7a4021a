package flow

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
	check := func(t Text, where string, pos Pos) {
		if t.IsZero() {
			return
		}
		var langs []string
		for _, l := range pb.Languages {
			if !t.Has(l) {
				langs = append(langs, l)
			}
		}
		if len(langs) > 0 {
			if p := t.pos(); p.Line != 0 {
				pos = p
			}
			out = append(out, MissingText{Pos: pos, Where: where, Langs: langs})
		}
	}
	for _, key := range messageKeys {
		check(pb.Messages[key], "messages: "+key, pb.Pos)
	}
	for _, n := range pb.Nodes {
		check(n.Text, n.ID+": "+string(n.Kind), n.Pos)
		check(n.Button, n.ID+": button", n.Pos)
		check(n.Retry, n.ID+": retry", n.Pos)
		for _, c := range n.Choices {
			check(c.Title, n.ID+": choice "+c.ID+" title", c.Pos)
			check(c.Description, n.ID+": choice "+c.ID+" description", c.Pos)
		}
	}
	return out
}
