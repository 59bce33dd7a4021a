package flow

import "fmt"

// remix returns base with over's differences applied. over is a playbook
// file that extends base: its metadata replaces base's where given, its
// nodes replace or amend base's nodes with the same id (texts and media per
// language, choices by id), new nodes are added, and nodes or choices
// marked remove are dropped. A remove that names no upstream node or choice
// (a mistyped id, or one the upstream has since renamed) is a problem: the
// remix would otherwise keep what its author meant to drop.
func remix(base, over *Playbook) (*Playbook, Problems) {
	var probs Problems
	base.resolveLangs(base.DefaultLanguage())
	if len(over.Languages) > 0 {
		over.resolveLangs(over.Languages[0])
	} else {
		over.resolveLangs(base.DefaultLanguage())
	}
	out := *base
	out.ID = over.ID
	out.Version = over.Version
	out.Pos = over.Pos
	out.Extends = over.Extends
	out.merged = true
	setStr := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setStr(&out.Title, over.Title)
	setStr(&out.Description, over.Description)
	setStr(&out.Author, over.Author)
	setStr(&out.Licence, over.Licence)
	setStr(&out.Start, over.Start)
	setStr(&out.Menu, over.Menu)
	setStr(&out.Timezone, over.Timezone)
	setStr(&out.MediaBase, over.MediaBase)
	if over.Languages != nil {
		out.Languages = over.Languages
	}
	if over.Fields != nil {
		out.Fields = over.Fields
	}
	if over.Purposes != nil {
		out.Purposes = over.Purposes
	}
	if over.Templates != nil {
		out.Templates = over.Templates
	}
	out.MenuWords = append(append(Words(nil), base.MenuWords...), over.MenuWords...)
	out.BackWords = append(append(Words(nil), base.BackWords...), over.BackWords...)
	if over.Messages != nil {
		out.Messages = make(map[string]Text, len(base.Messages)+len(over.Messages))
		for k, v := range base.Messages {
			out.Messages[k] = v
		}
		for k, v := range over.Messages {
			out.Messages[k] = out.Messages[k].merge(v)
		}
	}

	out.Nodes = make([]*Node, 0, len(base.Nodes)+len(over.Nodes))
	at := make(map[string]int, len(base.Nodes))
	for _, n := range base.Nodes {
		c := *n
		at[n.ID] = len(out.Nodes)
		out.Nodes = append(out.Nodes, &c)
	}
	removed := map[string]bool{}
	for _, n := range over.Nodes {
		i, ok := at[n.ID]
		switch {
		case n.remove && !ok:
			probs = append(probs, Problem{Pos: n.Pos, What: fmt.Sprintf("remove: the upstream playbook has no node %q", n.ID),
				Fix: "check the id against the upstream file (ids are case-sensitive), or delete this entry"})
		case n.remove:
			removed[n.ID] = true
		case !ok:
			c := *n
			at[n.ID] = len(out.Nodes)
			out.Nodes = append(out.Nodes, &c)
		case n.Kind == KindSave && n.Value == "" && out.Nodes[i].Kind == KindAsk:
			// A lone "save:" on a question is one of its keys, amended
			// (the field it saves to), not a save node in its place.
			m := *n
			m.Kind = ""
			out.Nodes[i] = mergeNode(out.Nodes[i], &m, &probs)
		case n.Kind != "" && n.Kind != out.Nodes[i].Kind:
			c := *n
			out.Nodes[i] = &c
		default:
			out.Nodes[i] = mergeNode(out.Nodes[i], n, &probs)
		}
	}
	if len(removed) > 0 {
		kept := out.Nodes[:0]
		for _, n := range out.Nodes {
			if !removed[n.ID] {
				kept = append(kept, n)
			}
		}
		out.Nodes = kept
	}
	if over.Languages != nil {
		out.keepLangs()
	}
	out.index = nil
	return &out, probs
}

// keepLangs drops translations, keywords and media in languages the
// playbook no longer declares: a remix may narrow the upstream's languages
// without deleting each translation by hand.
func (p *Playbook) keepLangs() {
	text := func(t Text) Text {
		out := t[:0:0]
		for _, v := range t {
			if p.HasLanguage(v.Lang) {
				out = append(out, v)
			}
		}
		return out
	}
	words := func(w Words) Words {
		out := w[:0:0]
		for _, v := range w {
			if v.Lang == "" || p.HasLanguage(v.Lang) {
				out = append(out, v)
			}
		}
		return out
	}
	p.MenuWords, p.BackWords = words(p.MenuWords), words(p.BackWords)
	msgs := make(map[string]Text, len(p.Messages))
	for k, v := range p.Messages {
		msgs[k] = text(v)
	}
	p.Messages = msgs
	for i, n := range p.Nodes {
		c := *n
		c.Text, c.Button, c.Retry = text(n.Text), text(n.Button), text(n.Retry)
		c.Media = nil
		for _, m := range n.Media {
			if m.Lang == "" || p.HasLanguage(m.Lang) {
				c.Media = append(c.Media, m)
			}
		}
		c.Choices = make([]*Choice, len(n.Choices))
		for j, ch := range n.Choices {
			cc := *ch
			cc.Title, cc.Description, cc.Keywords = text(ch.Title), text(ch.Description), words(ch.Keywords)
			c.Choices[j] = &cc
		}
		if n.Cases != nil {
			c.Cases = make([]*Case, len(n.Cases))
			for j, cs := range n.Cases {
				cc := *cs
				cc.Keyword = words(cs.Keyword)
				c.Cases[j] = &cc
			}
		}
		p.Nodes[i] = &c
	}
}

func mergeNode(b, o *Node, probs *Problems) *Node {
	n := *b
	n.Text = b.Text.merge(o.Text)
	n.Button = b.Button.merge(o.Button)
	n.Retry = b.Retry.merge(o.Retry)
	if o.Kind != "" {
		n.kindPos = o.kindPos
		n.extra = o.extra
	}
	if o.Save != "" {
		n.Save, n.fieldPos = o.Save, o.fieldPos
	}
	if o.Value != "" {
		n.Value = o.Value
	}
	if o.Cases != nil {
		n.Cases = o.Cases
	}
	if o.Kind == KindHandoff {
		// Only what the remix says: a new reason keeps the priority (an
		// urgent hand-off must not turn routine), a new priority the
		// reason.
		if o.prioritySet {
			n.Priority, n.prioritySet = o.Priority, true
		}
		if o.Reason != "" {
			n.Reason = o.Reason
		}
	}
	if o.Playbook != "" {
		n.Playbook = o.Playbook
	}
	if o.Next != "" {
		n.Next, n.NextPos = o.Next, o.NextPos
	}
	if o.Media != nil {
		n.Media = append([]MediaSet(nil), b.Media...)
		for _, m := range o.Media {
			replaced := false
			for i := range n.Media {
				if n.Media[i].Lang == m.Lang {
					n.Media[i] = m
					replaced = true
				}
			}
			if !replaced {
				n.Media = append(n.Media, m)
			}
		}
	}
	if o.Choices != nil {
		n.Choices = make([]*Choice, 0, len(b.Choices)+len(o.Choices))
		for _, c := range b.Choices {
			cc := *c
			n.Choices = append(n.Choices, &cc)
		}
		// New choices go before the next upstream choice the remix names
		// after them, so a remix controls where its options appear.
		var pending []*Choice
		for _, oc := range o.Choices {
			idx := -1
			for i, c := range n.Choices {
				if c.ID == oc.ID {
					idx = i
				}
			}
			switch {
			case oc.remove && idx >= 0:
				n.Choices = append(n.Choices[:idx], n.Choices[idx+1:]...)
			case oc.remove:
				*probs = append(*probs, Problem{Pos: oc.Pos, What: fmt.Sprintf("remove: node %q has no choice %q upstream", b.ID, oc.ID),
					Fix: "check the choice id against the upstream file (ids are case-sensitive), or delete this entry"})
			case idx < 0:
				cc := *oc
				pending = append(pending, &cc)
			default:
				c := n.Choices[idx]
				c.Title = c.Title.merge(oc.Title)
				c.Description = c.Description.merge(oc.Description)
				c.Keywords = append(append(Words(nil), c.Keywords...), oc.Keywords...)
				if oc.Next != "" {
					c.Next, c.NextPos = oc.Next, oc.NextPos
				}
				if len(pending) > 0 {
					n.Choices = append(n.Choices[:idx], append(pending, n.Choices[idx:]...)...)
					pending = nil
				}
			}
		}
		n.Choices = append(n.Choices, pending...)
	}
	return &n
}

// resolveLangs gives the texts written as a plain string (no language) the
// language lang.
func (p *Playbook) resolveLangs(lang string) {
	fix := func(t Text) {
		for i := range t {
			if t[i].Lang == "" {
				t[i].Lang = lang
			}
		}
	}
	for _, m := range p.Messages {
		fix(m)
	}
	for _, n := range p.Nodes {
		fix(n.Text)
		fix(n.Button)
		fix(n.Retry)
		for _, c := range n.Choices {
			fix(c.Title)
			fix(c.Description)
		}
	}
}
