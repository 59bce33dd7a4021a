package flow

import (
	"fmt"
	"time"
)

// Pos is where something was written: file, line and column (from 1).
type Pos struct {
	File string
	Line int
	Col  int
}

// String reads "file:line:col".
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "-"
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Playbook is one conversation, as authored in YAML: its metadata and its
// nodes. A Playbook is read-only once loaded and safe to share between
// goroutines.
type Playbook struct {
	ID          string
	Version     int
	Title       string
	Description string
	Author      string
	Licence     string
	// Languages the playbook is written in; the first is the default, used
	// when a person's language is not among them.
	Languages []string
	// Fields are the contact fields the playbook reads without asking for
	// them (they are filled by another playbook or by an import).
	Fields []string
	// Purposes are the consent purposes the playbook's messages serve
	// ("core", "feedback"...); the first is the purpose of its sends.
	Purposes []string
	// Templates are the approved message templates the playbook needs.
	Templates []string
	Start     string // the first node; defaults to the first node written
	Menu      string // where "menu" leads; defaults to Start
	// Timezone is the IANA zone that branch hours are read in.
	Timezone string
	// MediaBase, when set, is the public URL under which the media files
	// are served: a node's "audio/welcome-en.ogg" is sent as
	// MediaBase+"audio/welcome-en.ogg".
	MediaBase string
	// Keywords adds words that mean "menu" or "back" in some language.
	MenuWords Words
	BackWords Words
	// Messages overrides the built-in re-prompts: "retry" (a choice was
	// expected) and "retry_text" (a typed answer was expected).
	Messages map[string]Text
	// Extends is the file this playbook remixes, as written.
	Extends string
	Nodes   []*Node

	Pos Pos // where the playbook starts (its file)

	index  map[string]int
	loc    *time.Location
	merged bool // Extends has been resolved by Load
}

// Node returns the node with the given id, or nil.
func (p *Playbook) Node(id string) *Node {
	if i, ok := p.index[id]; ok {
		return p.Nodes[i]
	}
	return nil
}

// DefaultLanguage is the first declared language ("en" when none is).
func (p *Playbook) DefaultLanguage() string {
	if len(p.Languages) == 0 {
		return "en"
	}
	return p.Languages[0]
}

// HasLanguage reports whether lang is one of the playbook's languages.
func (p *Playbook) HasLanguage(lang string) bool {
	for _, l := range p.Languages {
		if l == lang {
			return true
		}
	}
	return false
}

func (p *Playbook) reindex() {
	p.resolveLangs(p.DefaultLanguage())
	if p.Timezone != "" {
		if loc, err := time.LoadLocation(p.Timezone); err == nil {
			p.loc = loc
		}
	}
	p.index = make(map[string]int, len(p.Nodes))
	for i, n := range p.Nodes {
		for _, c := range n.Choices {
			c.optID = n.ID + ":" + c.ID
		}
		if _, dup := p.index[n.ID]; !dup {
			p.index[n.ID] = i
		}
	}
	if p.Start == "" && len(p.Nodes) > 0 {
		p.Start = p.Nodes[0].ID
	}
}

func (p *Playbook) menuNode() string {
	if p.Menu != "" {
		return p.Menu
	}
	return p.Start
}

// Kind says what a node does.
type Kind string

// The node kinds. A node does exactly one thing.
const (
	KindSay     Kind = "say"     // send a message (and media), then go on
	KindAsk     Kind = "ask"     // ask a question, with choices or free text, and wait
	KindSave    Kind = "save"    // save a value (or the last answer) to a contact field
	KindBranch  Kind = "branch"  // go on by the answer, a keyword, a field or the time
	KindHandoff Kind = "handoff" // put the person in the human queue
	KindStart   Kind = "start"   // start another playbook
	KindEnd     Kind = "end"     // end the conversation, optionally saying goodbye
)

// Node is one step of a playbook.
type Node struct {
	ID   string
	Kind Kind
	// Text is what a say, ask or end node says.
	Text Text
	// Media is sent before Text: per language, audio for people who cannot
	// read, an image or a document.
	Media   []MediaSet
	Choices []*Choice // ask with choices; empty for a free-text ask
	Button  Text      // label of the button that opens a list of choices
	// Retry replaces the playbook's re-prompt for this ask node.
	Retry Text
	// Save is the contact field an ask or save node writes.
	Save string
	// Value is what a save node writes: a template; empty means the last
	// answer.
	Value    string
	Cases    []*Case  // branch
	Priority int      // handoff: 0 routine, 1 elevated, 2 urgent, 3 critical
	Reason   string   // handoff: why, a short label such as "asked-for-staff"
	Playbook string   // start: the playbook to start
	Next     string   // where to go after this node; empty ends the playbook
	Pos      Pos      // the node's "id" line
	NextPos  Pos      // where Next was written
	kindPos  Pos      // where the kind key was written
	remove   bool     // in a remix: drop this node
	fieldPos Pos      // where Save or Value was written
	extra    []string // kind keys beyond the first, for the error
	// prioritySet: the handoff's priority was written (a remix that
	// does not write it keeps the upstream one).
	prioritySet bool
}

// Choice is one answer to an ask node.
type Choice struct {
	ID          string
	Title       Text
	Description Text
	// Keywords are extra words that choose this option when typed.
	Keywords Words
	Next     string // empty: the node's Next
	Pos      Pos
	NextPos  Pos
	remove   bool
	optID    string // node id ":" choice id, the id sent to the channel
}

// optionID is the id a channel returns when the choice is tapped: the node
// and the choice, so that a tap on an earlier question is recognised.
func (c *Choice) optionID(n *Node) string {
	if c.optID != "" {
		return c.optID
	}
	return n.ID + ":" + c.ID
}

// Case is one way out of a branch node. The first case whose condition
// holds is taken; a case with no condition is the default and comes last.
type Case struct {
	// Answer holds when the last answer (a choice id, or typed text) is
	// one of these.
	Answer []string
	// Keyword holds when the last answer contains one of these words.
	Keyword Words
	// Field names a contact field; with Equals, the field is one of the
	// values; without, the field is set.
	Field  string
	Equals []string
	Empty  bool // with Field: holds when the field is not set
	// Hours holds when the time is within, e.g. "mon-fri 09:00-17:00".
	Hours   string
	hours   *hours
	Next    string
	Pos     Pos
	NextPos Pos
}

// IsDefault reports whether the case has no condition.
func (c *Case) IsDefault() bool {
	return len(c.Answer) == 0 && len(c.Keyword) == 0 && c.Field == "" && c.Hours == ""
}

// Text is a string written in several languages.
type Text []LangText

// LangText is a Text in one language.
type LangText struct {
	Lang string
	S    string
	Pos  Pos
}

// Get returns the text in lang, or in fallback, or "".
func (t Text) Get(lang, fallback string) string {
	var fb string
	for _, v := range t {
		if v.Lang == lang {
			return v.S
		}
		if v.Lang == fallback {
			fb = v.S
		}
	}
	return fb
}

// Has reports whether the text has a translation in lang.
func (t Text) Has(lang string) bool {
	for _, v := range t {
		if v.Lang == lang {
			return true
		}
	}
	return false
}

// IsZero reports whether the text has no translation at all.
func (t Text) IsZero() bool { return len(t) == 0 }

// pos is where the text was written: its first translation.
func (t Text) pos() Pos {
	if len(t) == 0 {
		return Pos{}
	}
	return t[0].Pos
}

// merge returns t with the translations of o replacing or adding to its own.
func (t Text) merge(o Text) Text {
	out := append(Text(nil), t...)
	for _, v := range o {
		found := false
		for i := range out {
			if out[i].Lang == v.Lang {
				out[i] = v
				found = true
			}
		}
		if !found {
			out = append(out, v)
		}
	}
	return out
}

// Words are keywords per language. An empty Lang applies to every
// language. Words are stored normalised.
type Words []LangWords

// LangWords are keywords in one language.
type LangWords struct {
	Lang  string
	Words []string
	Pos   Pos
}

// MediaSet is the media of one node in one language.
type MediaSet struct {
	Lang  string // "" for every language
	Items []MediaItem
	Pos   Pos
}

// MediaItem is one media file: a path relative to the playbook file, or an
// https URL.
type MediaItem struct {
	Kind string // audio, image, document or video
	Path string
	Pos  Pos
}
