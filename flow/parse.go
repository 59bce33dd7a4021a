package flow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/impactchat/impactchat/internal/textnorm"
	"github.com/impactchat/impactchat/internal/yamlerr"
	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest playbook file the loader reads.
const MaxFileSize = 1 << 20

// maxExtendDepth bounds chains of remixes.
const maxExtendDepth = 8

// Parse reads one playbook file. name is used in error positions. A
// playbook that extends another is returned with Extends set and its own
// nodes only; use Load to resolve the chain. Parse checks the form of the
// file (keys, types); Validate checks what it means.
func Parse(name string, src []byte) (*Playbook, error) {
	pb, ps := parse(name, src)
	if err := ps.found.Err(); err != nil {
		return nil, err
	}
	pb.reindex()
	return pb, nil
}

// Load reads the playbook file name from fsys and, when it extends another
// file (a path relative to it), merges it over that one, recursively. The
// result is not yet validated: call Validate, or use LoadLibrary.
func Load(fsys fs.FS, name string) (*Playbook, error) {
	pb, err := load(fsys, name, nil)
	if err != nil {
		return nil, err
	}
	pb.reindex()
	return pb, nil
}

func load(fsys fs.FS, name string, chain []string) (*Playbook, error) {
	for _, c := range chain {
		if c == name {
			return nil, Problems{{Pos: Pos{File: chain[len(chain)-1]}, What: fmt.Sprintf("extend makes a cycle: %s → %s", strings.Join(chain, " → "), name), Fix: "a playbook cannot extend itself, directly or through others"}}
		}
	}
	if len(chain) >= maxExtendDepth {
		return nil, Problems{{Pos: Pos{File: name}, What: fmt.Sprintf("extend chain is deeper than %d files", maxExtendDepth), Fix: "extend the upstream playbook directly"}}
	}
	src, err := readFile(fsys, name)
	if err != nil {
		return nil, err
	}
	pb, ps := parse(name, src)
	if err := ps.found.Err(); err != nil {
		return nil, err
	}
	if pb.Extends == "" {
		return pb, nil
	}
	basePath := path.Join(path.Dir(name), pb.Extends)
	if _, err := fs.Stat(fsys, basePath); err != nil {
		return nil, Problems{{Pos: pb.Pos, What: fmt.Sprintf("extend: cannot read %q", pb.Extends), Fix: "give a path relative to this file, e.g. extend: refugee-info.yaml"}}
	}
	base, err := load(fsys, basePath, append(chain, name))
	if err != nil {
		return nil, err
	}
	out, probs := remix(base, pb)
	if len(probs) > 0 {
		return nil, probs
	}
	return out, nil
}

func readFile(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("flow: open playbook: %w", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("flow: read playbook %s: %w", name, err)
	}
	if len(src) > MaxFileSize {
		return nil, Problems{{Pos: Pos{File: name}, What: fmt.Sprintf("file is larger than %d bytes", MaxFileSize), Fix: "split it into several playbooks linked by start"}}
	}
	return src, nil
}

// parser walks the YAML node tree, collecting problems with positions.
type parser struct {
	file string
	problems
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{File: p.file, Line: n.Line, Col: n.Column} }

func parse(name string, src []byte) (*Playbook, *parser) {
	p := &parser{file: name}
	pb := &Playbook{Pos: Pos{File: name, Line: 1, Col: 1}}
	if len(src) > MaxFileSize {
		p.add(pb.Pos, "split it into several playbooks linked by start", "file is larger than %d bytes", MaxFileSize)
		return pb, p
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(pb.Pos, "start with \"playbook: my-playbook-id\"", "file is empty")
			return pb, p
		}
		at := Pos{File: name, Line: max(yamlerr.Where(src, err, brokenYAML), 1), Col: 1}
		p.add(at, "check the indentation near here, and put values holding : , ? # { } [ ] in quotes", "YAML: %s", yamlerr.Text(err))
		return pb, p
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(p.pos(&extra), "put one playbook in each file", "file holds more than one YAML document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	p.playbook(pb, root)
	return pb, p
}

// brokenYAML reports whether src is invalid YAML for a reason other than
// ending early.
func brokenYAML(src []byte) bool {
	var doc yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc)
	return err != nil && !errors.Is(err, io.EOF) && !yamlerr.CutShort(err)
}

type entry struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

// mapping returns the entries of a mapping node, reporting keys not in
// known, repeated keys, and aliases.
func (p *parser) mapping(n *yaml.Node, what string, known ...string) []entry {
	if n.Kind == yaml.AliasNode {
		p.add(p.pos(n), "write the value out", "anchors and aliases (*name) are not supported")
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.add(p.pos(n), fmt.Sprintf("write %s as key: value lines", what), "%s should be a mapping, not %s", what, kindName(n))
		return nil
	}
	var out []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.add(p.pos(k), "use a plain word as the key", "%s has a key that is not a plain word", what)
			continue
		}
		if v.Kind == yaml.AliasNode {
			p.add(p.pos(v), "write the value out", "anchors and aliases (*name) are not supported")
			continue
		}
		key := k.Value
		if seen[key] {
			p.add(p.pos(k), "keep one of them", "%s repeats the key %q", what, key)
			continue
		}
		seen[key] = true
		if known != nil && !contains(known, key) {
			fix := suggest(key, known)
			if fix == "" {
				fix = "known keys: " + strings.Join(known, ", ")
			}
			p.add(p.pos(k), fix, "unknown key %q in %s", key, what)
			continue
		}
		out = append(out, entry{key: key, k: k, v: v})
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the value %q", clip(n.Value, 30))
	}
	return "something else"
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.add(p.pos(n), "write a single value", "%s should be a single value, not %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) str(n *yaml.Node, what string) string {
	s, _ := p.scalar(n, what)
	return s
}

func (p *parser) integer(n *yaml.Node, what string) int {
	s, ok := p.scalar(n, what)
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		p.add(p.pos(n), "write a whole number such as 1", "%s should be a whole number, not %q", what, clip(s, 30))
	}
	return v
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	s, ok := p.scalar(n, what)
	if !ok {
		return false
	}
	switch s {
	case "true", "yes":
		return true
	case "false", "no":
		return false
	}
	p.add(p.pos(n), "write true or false", "%s should be true or false, not %q", what, clip(s, 30))
	return false
}

// list reads a list of single values; a single value is a list of one.
func (p *parser) list(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.add(p.pos(n), "write a list such as [en, es]", "%s should be a list, not %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		if s, ok := p.scalar(c, what+" item"); ok {
			out = append(out, s)
		}
	}
	return out
}

// text reads a per-language string: "lang: text" lines, or one string in
// the default language (recorded with Lang "").
func (p *parser) text(n *yaml.Node, what string) Text {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return Text{{Lang: "", S: n.Value, Pos: p.pos(n)}}
	}
	var t Text
	for _, e := range p.mapping(n, what+" (one line per language, e.g. en: Hello)") {
		s, ok := p.scalar(e.v, fmt.Sprintf("%s in %s", what, e.key))
		if !ok {
			continue
		}
		t = append(t, LangText{Lang: e.key, S: s, Pos: p.pos(e.v)})
	}
	return t
}

// words reads keywords: a list for every language, or "lang: [words]".
func (p *parser) words(n *yaml.Node, what string) Words {
	if n.Kind == yaml.SequenceNode || n.Kind == yaml.ScalarNode {
		return Words{{Lang: "", Words: normWords(p.list(n, what)), Pos: p.pos(n)}}
	}
	var w Words
	for _, e := range p.mapping(n, what) {
		w = append(w, LangWords{Lang: e.key, Words: normWords(p.list(e.v, what+" in "+e.key)), Pos: p.pos(e.v)})
	}
	return w
}

func normWords(ws []string) []string {
	out := ws[:0]
	for _, w := range ws {
		if k := textnorm.Key(w); k != "" {
			out = append(out, k)
		}
	}
	return out
}

var mediaKinds = []string{"audio", "image", "document", "video"}

// media reads "lang: {audio: file}" lines, or "audio: file" for every
// language.
func (p *parser) media(n *yaml.Node) []MediaSet {
	all := MediaSet{Pos: p.pos(n)}
	var out []MediaSet
	for _, e := range p.mapping(n, "media") {
		if contains(mediaKinds, e.key) {
			all.Items = append(all.Items, MediaItem{Kind: e.key, Path: p.str(e.v, "media "+e.key), Pos: p.pos(e.v)})
			continue
		}
		set := MediaSet{Lang: e.key, Pos: p.pos(e.k)}
		for _, m := range p.mapping(e.v, "media in "+e.key, mediaKinds...) {
			set.Items = append(set.Items, MediaItem{Kind: m.key, Path: p.str(m.v, "media "+m.key), Pos: p.pos(m.v)})
		}
		out = append(out, set)
	}
	if len(all.Items) > 0 {
		out = append([]MediaSet{all}, out...)
	}
	return out
}

var playbookKeys = []string{
	"playbook", "version", "title", "description", "author", "licence", "license",
	"languages", "fields", "consent", "start", "menu", "timezone", "media_base",
	"keywords", "messages", "extend", "nodes",
}

func (p *parser) playbook(pb *Playbook, n *yaml.Node) {
	for _, e := range p.mapping(n, "the playbook", playbookKeys...) {
		v := e.v
		switch e.key {
		case "playbook":
			pb.ID = p.str(v, "playbook")
			pb.Pos = p.pos(v)
		case "version":
			pb.Version = p.integer(v, "version")
		case "title":
			pb.Title = p.str(v, "title")
		case "description":
			pb.Description = p.str(v, "description")
		case "author":
			pb.Author = p.str(v, "author")
		case "licence", "license":
			pb.Licence = p.str(v, e.key)
		case "languages":
			pb.Languages = p.list(v, "languages")
		case "fields":
			pb.Fields = p.list(v, "fields")
		case "consent":
			for _, c := range p.mapping(v, "consent", "purposes", "templates") {
				switch c.key {
				case "purposes":
					pb.Purposes = p.list(c.v, "consent purposes")
				case "templates":
					pb.Templates = p.list(c.v, "consent templates")
				}
			}
		case "start":
			pb.Start = p.str(v, "start")
		case "menu":
			pb.Menu = p.str(v, "menu")
		case "timezone":
			pb.Timezone = p.str(v, "timezone")
		case "media_base":
			pb.MediaBase = p.str(v, "media_base")
		case "keywords":
			for _, k := range p.mapping(v, "keywords", "menu", "back") {
				if k.key == "menu" {
					pb.MenuWords = p.words(k.v, "menu keywords")
				} else {
					pb.BackWords = p.words(k.v, "back keywords")
				}
			}
		case "messages":
			pb.Messages = map[string]Text{}
			for _, m := range p.mapping(v, "messages", messageKeys...) {
				pb.Messages[m.key] = p.text(m.v, "message "+m.key)
			}
		case "extend":
			pb.Extends = p.str(v, "extend")
		case "nodes":
			if v.Kind != yaml.SequenceNode {
				p.add(p.pos(v), "write each node as a list item starting with \"- id: ...\"", "nodes should be a list, not %s", kindName(v))
				continue
			}
			for _, nn := range v.Content {
				if node := p.node(nn); node != nil {
					pb.Nodes = append(pb.Nodes, node)
				}
			}
		}
	}
	if pb.ID == "" {
		p.add(Pos{File: p.file, Line: 1, Col: 1}, "start the file with \"playbook: my-playbook-id\"", "the playbook has no id")
	}
}

var messageKeys = []string{"retry", "retry_text"}

var nodeKeys = []string{
	"id", "say", "ask", "choices", "button", "retry", "save", "value", "branch",
	"handoff", "start", "end", "next", "media", "remove",
}

// kindKeys are the keys that say what a node does, in order of precedence.
var kindKeys = []string{"ask", "say", "branch", "handoff", "start", "end", "save"}

func (p *parser) node(n *yaml.Node) *Node {
	entries := p.mapping(n, "a node", nodeKeys...)
	if entries == nil {
		return nil
	}
	node := &Node{Pos: p.pos(n)}
	for _, e := range entries {
		v := e.v
		switch e.key {
		case "id":
			node.ID = p.str(v, "id")
			node.Pos = p.pos(v)
		case "say":
			node.Text = p.text(v, "say")
		case "ask":
			node.Text = p.text(v, "ask")
		case "choices":
			if v.Kind != yaml.SequenceNode {
				p.add(p.pos(v), "write each choice as a list item starting with \"- id: ...\"", "choices should be a list, not %s", kindName(v))
				continue
			}
			for _, c := range v.Content {
				if ch := p.choice(c); ch != nil {
					node.Choices = append(node.Choices, ch)
				}
			}
		case "button":
			node.Button = p.text(v, "button")
		case "retry":
			node.Retry = p.text(v, "retry")
		case "save":
			node.Save = p.str(v, "save")
			node.fieldPos = p.pos(v)
		case "value":
			node.Value = p.str(v, "value")
		case "branch":
			if v.Kind != yaml.SequenceNode {
				p.add(p.pos(v), "write each case as a list item, e.g. \"- field: city\"", "branch should be a list of cases, not %s", kindName(v))
				continue
			}
			for _, c := range v.Content {
				if cs := p.kase(c); cs != nil {
					node.Cases = append(node.Cases, cs)
				}
			}
		case "handoff":
			p.handoff(node, v)
		case "start":
			node.Playbook = p.str(v, "start")
		case "end":
			if v.Kind == yaml.ScalarNode && (v.Value == "true" || v.Value == "yes" || v.Tag == "!!null") {
				continue
			}
			node.Text = p.text(v, "end")
		case "next":
			node.Next = p.str(v, "next")
			node.NextPos = p.pos(v)
		case "media":
			node.Media = p.media(v)
		case "remove":
			node.remove = p.boolean(v, "remove")
		}
	}
	for _, k := range kindKeys {
		for _, e := range entries {
			if e.key != k {
				continue
			}
			if k == "save" && node.Kind == KindAsk {
				continue
			}
			if node.Kind == "" {
				node.Kind = Kind(k)
				node.kindPos = p.pos(e.k)
			} else {
				node.extra = append(node.extra, k)
			}
		}
	}
	if node.ID == "" {
		p.add(node.Pos, "give every node an id, e.g. \"- id: welcome\"", "node has no id")
	}
	return node
}

func (p *parser) choice(n *yaml.Node) *Choice {
	entries := p.mapping(n, "a choice", "id", "title", "description", "keywords", "next", "remove")
	if entries == nil {
		return nil
	}
	c := &Choice{Pos: p.pos(n)}
	for _, e := range entries {
		switch e.key {
		case "id":
			c.ID = p.str(e.v, "choice id")
			c.Pos = p.pos(e.v)
		case "title":
			c.Title = p.text(e.v, "choice title")
		case "description":
			c.Description = p.text(e.v, "choice description")
		case "keywords":
			c.Keywords = p.words(e.v, "choice keywords")
		case "next":
			c.Next = p.str(e.v, "next")
			c.NextPos = p.pos(e.v)
		case "remove":
			c.remove = p.boolean(e.v, "remove")
		}
	}
	if c.ID == "" {
		p.add(c.Pos, "give every choice an id, e.g. \"- id: rights\"", "choice has no id")
	}
	return c
}

func (p *parser) kase(n *yaml.Node) *Case {
	entries := p.mapping(n, "a branch case", "answer", "keyword", "field", "equals", "empty", "hours", "next", "else")
	if entries == nil {
		return nil
	}
	c := &Case{Pos: p.pos(n)}
	for _, e := range entries {
		switch e.key {
		case "answer":
			c.Answer = normWords(p.list(e.v, "answer"))
		case "keyword":
			c.Keyword = p.words(e.v, "keyword")
		case "field":
			c.Field = p.str(e.v, "field")
		case "equals":
			c.Equals = normWords(p.list(e.v, "equals"))
		case "empty":
			c.Empty = p.boolean(e.v, "empty")
		case "hours":
			c.Hours = p.str(e.v, "hours")
			h, err := parseHours(c.Hours)
			if err != nil {
				p.add(p.pos(e.v), "write days and times, e.g. \"mon-fri 09:00-17:00\"", "hours %q: %v", clip(c.Hours, 40), err)
			}
			c.hours = h
		case "next", "else":
			if c.Next != "" {
				p.add(p.pos(e.k), "keep one of next and else", "a case has both next and else")
			}
			c.Next = p.str(e.v, e.key)
			c.NextPos = p.pos(e.v)
		}
	}
	return c
}

var priorityNames = []string{"routine", "elevated", "urgent", "critical"}

func (p *parser) handoff(node *Node, v *yaml.Node) {
	setPriority := func(n *yaml.Node) {
		s, ok := p.scalar(n, "handoff priority")
		if !ok {
			return
		}
		for i, name := range priorityNames {
			if s == name || s == strconv.Itoa(i) {
				node.Priority, node.prioritySet = i, true
				return
			}
		}
		p.add(p.pos(n), "use routine, elevated, urgent or critical (or 0 to 3)", "handoff priority %q is not known", clip(s, 30))
	}
	if v.Kind == yaml.ScalarNode {
		setPriority(v)
		return
	}
	for _, e := range p.mapping(v, "handoff", "priority", "reason") {
		if e.key == "priority" {
			setPriority(e.v)
		} else {
			node.Reason = p.str(e.v, "handoff reason")
		}
	}
}
