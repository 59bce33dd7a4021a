package flow

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// WhatsApp's limits on interactive messages, which every playbook is held
// to so that it renders on the most demanding channel.
const (
	MaxButtons          = 3    // reply buttons in one message
	MaxButtonTitle      = 20   // characters in a reply button title
	MaxListRows         = 10   // rows in a list message
	MaxListTitle        = 24   // characters in a list row title
	MaxListDescription  = 72   // characters in a list row description
	MaxListButton       = 20   // characters in the button that opens a list
	MaxInteractiveBody  = 1024 // characters in the body of a buttons or list message
	MaxTextBody         = 4096 // characters in a text message
	maxNodes            = 500
	maxBackStack        = 8
	defaultMaxStepNodes = 64
)

// Validate checks everything a playbook must get right before a line runs
// it, and returns the problems as Problems (nil when there is none). When
// fsys is not nil, media files named by path (relative to the playbook file
// that names them) must exist in it.
func Validate(pb *Playbook, fsys fs.FS) error {
	v := &validator{pb: pb, fsys: fsys}
	v.run()
	return v.found.Err()
}

type validator struct {
	pb   *Playbook
	fsys fs.FS
	problems
	saved map[string]bool // fields some node saves
}

func (v *validator) run() {
	pb := v.pb
	if pb.index == nil {
		pb.reindex()
	}
	v.metadata()
	if len(pb.Nodes) > maxNodes {
		// Checked first, and alone: the checks below grow faster than the
		// nodes (suggestions compare ids with ids), and a playbook this
		// size must be split before anything else matters.
		v.add(pb.Pos, "split it into several playbooks linked by start", "the playbook has %d nodes; the limit is %d", len(pb.Nodes), maxNodes)
		return
	}
	v.saved = map[string]bool{"answer": true, "name": true, "language": true}
	for _, f := range pb.Fields {
		v.saved[f] = true
	}
	for _, n := range pb.Nodes {
		if n.Save != "" {
			v.saved[n.Save] = true
		}
	}
	seen := map[string]Pos{}
	for _, n := range pb.Nodes {
		if n.ID == "" {
			continue
		}
		if first, dup := seen[n.ID]; dup {
			v.add(n.Pos, "give each node its own id", "node id %q is used twice (first at line %d)", n.ID, first.Line)
			continue
		}
		seen[n.ID] = n.Pos
		v.node(n)
	}
	v.reprompts()
	v.reachability()
	v.loops()
}

func (v *validator) metadata() {
	pb := v.pb
	if pb.Extends != "" && !pb.merged {
		v.add(pb.Pos, "load the file with flow.Load (or the playbook command), which merges it over the file it extends", "this playbook extends %q, which was not loaded", clip(pb.Extends, 60))
	}
	if !validID(pb.ID) {
		v.add(pb.Pos, "use letters, digits, - and _ only, e.g. refugee-info", "playbook id %q is not valid", clip(pb.ID, 40))
	}
	if pb.Version < 1 {
		v.add(pb.Pos, "add \"version: 1\" and raise it with every published change", "the playbook has no version (or it is below 1)")
	}
	if len(pb.Languages) == 0 {
		v.add(pb.Pos, "add e.g. \"languages: [en, es, ar]\"; the first is the default", "the playbook declares no languages")
	}
	seen := map[string]bool{}
	for _, l := range pb.Languages {
		if !validLang(l) {
			v.add(pb.Pos, "use a language code such as en, es, ar or pt-BR", "language %q is not a language code", clip(l, 20))
		}
		if seen[l] {
			v.add(pb.Pos, "list each language once", "language %q is listed twice", l)
		}
		seen[l] = true
	}
	for _, f := range pb.Fields {
		if !validName(f) {
			v.add(pb.Pos, "use lowercase letters, digits and _, e.g. city", "field name %q is not valid", clip(f, 40))
		}
	}
	if len(pb.Nodes) == 0 {
		v.add(pb.Pos, "add a nodes: list with at least one node", "the playbook has no nodes")
		return
	}
	if pb.Node(pb.Start) == nil {
		v.add(pb.Pos, suggestOr(pb.Start, pb, "start must name a node"), "start %q names no node", pb.Start)
	}
	if pb.Menu != "" && pb.Node(pb.Menu) == nil {
		v.add(pb.Pos, suggestOr(pb.Menu, pb, "menu must name a node"), "menu %q names no node", pb.Menu)
	}
	if pb.Timezone != "" && pb.loc == nil {
		if _, err := time.LoadLocation(pb.Timezone); err != nil {
			v.add(pb.Pos, "use an IANA zone such as America/Guayaquil or Asia/Amman", "timezone %q is not known", clip(pb.Timezone, 40))
		}
	}
	if pb.MediaBase != "" && !strings.HasPrefix(pb.MediaBase, "https://") {
		v.add(pb.Pos, "serve media over https, e.g. https://media.example.org/refugee-info/", "media_base %q is not an https URL", clip(pb.MediaBase, 60))
	}
	for key, t := range pb.Messages {
		v.text(t, "message "+key, MaxTextBody, false)
	}
	for _, w := range append(append(Words(nil), pb.MenuWords...), pb.BackWords...) {
		v.wordsLang(w)
	}
}

// reprompts checks that a wrong answer can be answered in every declared
// language: by the question's own retry, the playbook's messages, or a
// built-in re-prompt (en, es, ar and fr only). Otherwise the person would
// be re-prompted in English.
func (v *validator) reprompts() {
	pb := v.pb
	told := map[string]bool{}
	for _, n := range pb.Nodes {
		if n.Kind != KindAsk {
			continue
		}
		kind := "retry_text"
		if len(n.Choices) > 0 {
			kind = "retry"
		}
		for _, l := range pb.Languages {
			if n.Retry.Has(l) || pb.Messages[kind].Has(l) {
				continue
			}
			if _, ok := builtinMessages[kind][l]; ok || told[kind+" "+l] {
				continue
			}
			told[kind+" "+l] = true
			v.add(n.Pos, "write the re-prompt under messages: "+kind+": "+l+": (or retry: on the question)",
				"%q has no re-prompt in %q for a wrong answer (built-in ones are in en, es, ar and fr); it would be in English", n.ID, l)
		}
	}
}

func validLang(l string) bool {
	if len(l) < 2 || len(l) > 12 {
		return false
	}
	for i, r := range l {
		switch {
		case r >= 'a' && r <= 'z':
		case i >= 2 && (r == '-' || r == '_' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return true
}

func suggestOr(name string, pb *Playbook, fallback string) string {
	ids := make([]string, 0, len(pb.Nodes))
	for _, n := range pb.Nodes {
		ids = append(ids, n.ID)
	}
	if s := suggest(name, ids); s != "" {
		return s
	}
	return fallback
}

// keysOf lists which optional keys a node kind accepts.
var keysOf = map[Kind][]string{
	KindSay:     {"media", "next"},
	KindAsk:     {"choices", "button", "retry", "save", "media", "next"},
	KindSave:    {"value", "next"},
	KindBranch:  {},
	KindHandoff: {"next"},
	KindStart:   {},
	KindEnd:     {"media"},
}

func (v *validator) node(n *Node) {
	if !validID(n.ID) {
		v.add(n.Pos, "use letters, digits, - and _ only, e.g. office-quito", "node id %q is not valid", clip(n.ID, 40))
	}
	if n.Kind == "" {
		v.add(n.Pos, "give it one of say, ask, branch, handoff, start, end or save", "node %q does nothing", n.ID)
		return
	}
	if len(n.extra) > 0 {
		v.add(n.kindPos, "split it into several nodes linked by next", "node %q does more than one thing: %s and %s", n.ID, n.Kind, strings.Join(n.extra, " and "))
	}
	allowed := keysOf[n.Kind]
	check := func(set bool, key string, pos Pos) {
		if set && !slices.Contains(allowed, key) {
			v.add(pos, "remove it, or move it to a node that uses it", "%s node %q cannot have %s", n.Kind, n.ID, key)
		}
	}
	check(len(n.Media) > 0, "media", n.kindPos)
	check(len(n.Choices) > 0, "choices", n.kindPos)
	check(!n.Button.IsZero(), "button", n.Button.pos())
	check(!n.Retry.IsZero(), "retry", n.Retry.pos())
	check(n.Value != "", "value", n.fieldPos)
	check(n.Next != "", "next", n.NextPos)
	check(n.Save != "" && n.Kind != KindSave, "save", n.fieldPos)

	switch n.Kind {
	case KindSay:
		if n.Text.IsZero() && len(n.Media) == 0 {
			v.add(n.kindPos, "write what to say, one line per language", "say node %q says nothing", n.ID)
		}
		v.text(n.Text, "say", MaxTextBody, true)
	case KindEnd:
		v.text(n.Text, "end", MaxTextBody, true)
	case KindAsk:
		v.ask(n)
	case KindSave:
		if !validName(n.Save) {
			v.add(n.kindPos, "use lowercase letters, digits and _, e.g. city", "save field %q is not valid", clip(n.Save, 40))
		}
		v.template(n.Value, n.fieldPos)
		v.link(n.Next, n.NextPos, n, true)
	case KindBranch:
		v.branch(n)
	case KindHandoff:
		if n.Reason != "" && !validID(n.Reason) {
			v.add(n.kindPos, "use a short label such as asked-for-staff; never personal data", "handoff reason %q should be a label", clip(n.Reason, 40))
		}
		v.link(n.Next, n.NextPos, n, false)
	case KindStart:
		if !validID(n.Playbook) {
			v.add(n.kindPos, "name the playbook id, e.g. start: feedback-survey", "start %q is not a playbook id", clip(n.Playbook, 40))
		}
	}
	if n.Kind == KindSay {
		v.link(n.Next, n.NextPos, n, false)
	}
	v.media(n)
}

func (v *validator) ask(n *Node) {
	limit := MaxTextBody
	if len(n.Choices) > 0 {
		limit = MaxInteractiveBody
	}
	if n.Text.IsZero() {
		v.add(n.kindPos, "write the question, one line per language", "ask node %q asks nothing", n.ID)
	}
	v.text(n.Text, "question", limit, true)
	v.text(n.Retry, "retry", limit, false)
	if n.Save != "" && !validName(n.Save) {
		v.add(n.fieldPos, "use lowercase letters, digits and _, e.g. city", "save field %q is not valid", clip(n.Save, 40))
	}
	if len(n.Choices) == 0 {
		if n.Next == "" {
			v.add(n.kindPos, "add next: the node to go to after the answer", "free-text question %q has no next", n.ID)
		}
		v.link(n.Next, n.NextPos, n, false)
		return
	}
	list := len(n.Choices) > MaxButtons
	for _, c := range n.Choices {
		if !c.Description.IsZero() {
			list = true
		}
	}
	if len(n.Choices) > MaxListRows {
		v.add(n.kindPos, "group them under a second question", "question %q has %d choices; WhatsApp shows at most %d", n.ID, len(n.Choices), MaxListRows)
	}
	v.text(n.Button, "button", MaxListButton, false)
	seen := map[string]bool{}
	// WhatsApp refuses reply buttons with the same title, and a typed
	// answer could only ever match the first of them.
	titles := map[[2]string]string{} // language and title key: choice id
	for _, c := range n.Choices {
		if !validID(c.ID) {
			v.add(c.Pos, "use letters, digits, - and _ only", "choice id %q is not valid", clip(c.ID, 40))
		}
		if seen[c.ID] {
			v.add(c.Pos, "give each choice its own id", "choice id %q is used twice in %q", c.ID, n.ID)
		}
		seen[c.ID] = true
		if n.Save == "language" && !v.pb.HasLanguage(c.ID) {
			// The chosen id becomes the person's language: one that is
			// not a language of the playbook leaves the conversation where
			// it was and saves a code no text is written in.
			v.add(c.Pos, "name the choice by a language code of the playbook: "+strings.Join(v.pb.Languages, ", "),
				"%q saves to language, but choice %q is not one of the playbook's languages", n.ID, clip(c.ID, 40))
		}
		if c.Title.IsZero() {
			v.add(c.Pos, "add title: with one line per language", "choice %q has no title", c.ID)
		}
		for _, t := range c.Title {
			count := utf8.RuneCountInString(t.S)
			switch {
			case !list && count > MaxButtonTitle:
				v.add(t.Pos, fmt.Sprintf("shorten it to %d; a question with more than %d choices shows as a list, where titles may have %d", MaxButtonTitle, MaxButtons, MaxListTitle),
					"button title %q is %d characters; WhatsApp allows %d", t.S, count, MaxButtonTitle)
			case list && count > MaxListTitle:
				v.add(t.Pos, fmt.Sprintf("shorten it to %d; put details in description", MaxListTitle),
					"list row title %q is %d characters; WhatsApp allows %d", t.S, count, MaxListTitle)
			}
			if strings.Contains(t.S, "{{") {
				v.add(t.Pos, "write the title out", "choice titles cannot use {{fields}}")
			}
			k := [2]string{t.Lang, keyOf(t.S)}
			if other, dup := titles[k]; dup && other != c.ID && k[1] != "" {
				v.add(t.Pos, "give each choice a title of its own in each language",
					"choice %q has the same title %q as choice %q in question %q", c.ID, clip(t.S, 40), other, n.ID)
			} else if !dup {
				titles[k] = c.ID
			}
		}
		v.text(c.Title, "choice title", MaxListTitle+1000, true)
		v.text(c.Description, "choice description", MaxListDescription, false)
		for _, w := range c.Keywords {
			v.wordsLang(w)
		}
		if c.Next != "" {
			v.link(c.Next, c.NextPos, n, false)
		} else if n.Next == "" {
			v.add(c.Pos, "add next: to the choice or to the question", "choice %q leads nowhere", c.ID)
		}
	}
	v.link(n.Next, n.NextPos, n, false)
}

func (v *validator) branch(n *Node) {
	if len(n.Cases) == 0 {
		v.add(n.kindPos, "add cases, ending with \"- else: some-node\"", "branch %q has no cases", n.ID)
		return
	}
	for i, c := range n.Cases {
		last := i == len(n.Cases)-1
		if c.Next == "" {
			v.add(c.Pos, "add next: the node to go to when the case holds", "a case of branch %q leads nowhere", n.ID)
		}
		v.link(c.Next, c.NextPos, n, false)
		conditions := 0
		for _, set := range []bool{len(c.Answer) > 0, len(c.Keyword) > 0, c.Field != "", c.Hours != ""} {
			if set {
				conditions++
			}
		}
		if conditions > 1 {
			v.add(c.Pos, "split it into several cases", "a case tests more than one thing (answer, keyword, field, hours)")
		}
		if c.Field != "" && !validName(c.Field) {
			v.add(c.Pos, "use lowercase letters, digits and _", "field %q is not a field name", clip(c.Field, 40))
		}
		if c.Field != "" && !v.saved[c.Field] {
			v.add(c.Pos, "declare it under fields: or save it in an earlier question", "branch on field %q, which no node saves and fields does not declare", c.Field)
		}
		if c.Field == "" && (len(c.Equals) > 0 || c.Empty) {
			v.add(c.Pos, "add field: the contact field to compare", "equals and empty need a field")
		}
		if c.Empty && len(c.Equals) > 0 {
			v.add(c.Pos, "keep one of them", "a case has both empty and equals")
		}
		if c.Hours != "" && v.pb.Timezone == "" {
			v.add(c.Pos, "add e.g. \"timezone: America/Guayaquil\" to the playbook", "hours need the playbook's timezone")
		}
		for _, w := range c.Keyword {
			v.wordsLang(w)
		}
		if c.IsDefault() && !last {
			v.add(c.Pos, "move it to the end: cases after it are never tested", "the default case (no condition) of branch %q is not last", n.ID)
		}
		if last && !c.IsDefault() {
			v.add(c.Pos, "end the list with \"- else: some-node\"", "branch %q has no default case; a person whose answer matches nothing would be stuck", n.ID)
		}
	}
}

func (v *validator) wordsLang(w LangWords) {
	if w.Lang != "" && !v.pb.HasLanguage(w.Lang) {
		v.add(w.Pos, "add it to languages or remove these words", "keywords in %q, which is not one of the playbook's languages", w.Lang)
	}
	if len(w.Words) == 0 {
		v.add(w.Pos, "list at least one word", "empty keyword list")
	}
}

// text checks translations, length and templates of one text.
func (v *validator) text(t Text, what string, limit int, required bool) {
	if t.IsZero() {
		return
	}
	for _, lt := range t {
		if !v.pb.HasLanguage(lt.Lang) {
			v.add(lt.Pos, fmt.Sprintf("add %s to languages, or remove this line", lt.Lang), "%s in %q, which is not one of the playbook's languages (%s)", what, lt.Lang, strings.Join(v.pb.Languages, ", "))
		}
		if strings.TrimSpace(lt.S) == "" {
			v.add(lt.Pos, "write the text, or remove the line", "%s in %s is empty", what, lt.Lang)
		}
		if n := utf8.RuneCountInString(lt.S); n > limit {
			v.add(lt.Pos, fmt.Sprintf("shorten it to %d", limit), "%s in %s is %d characters; WhatsApp allows %d", what, lt.Lang, n, limit)
		}
		v.template(lt.S, lt.Pos)
	}
	for _, l := range v.pb.Languages {
		if !t.Has(l) {
			v.add(t.pos(), fmt.Sprintf("add a line \"%s: ...\" with the translation", l), "%s has no %s translation", what, l)
		}
	}
}

func (v *validator) template(s string, pos Pos) {
	refs, err := scanTemplate(s)
	if err != nil {
		v.add(pos, "write {{field}} or {{field|fallback}}", "template: %v", err)
		return
	}
	for _, r := range refs {
		if !v.saved[r.Field] {
			v.add(pos, suggestField(r.Field, v.saved), "{{%s}}: no node saves %q and fields does not declare it", r.Field, r.Field)
		}
	}
}

func suggestField(name string, known map[string]bool) string {
	list := make([]string, 0, len(known))
	for k := range known {
		list = append(list, k)
	}
	slices.Sort(list)
	if s := suggest(name, list); s != "" {
		return s
	}
	return "declare it under fields:, or fix the name"
}

// link checks that a link names a node. required reports an empty link.
func (v *validator) link(to string, pos Pos, from *Node, required bool) {
	if to == "" {
		if required {
			v.add(from.Pos, "add next:", "node %q has no next", from.ID)
		}
		return
	}
	if v.pb.Node(to) == nil {
		if pos.Line == 0 {
			pos = from.Pos
		}
		v.add(pos, suggestOr(to, v.pb, "name an existing node id, or add the node"), "%q links to %q, which is not a node", from.ID, to)
	}
}

var mediaExt = map[string][]string{
	"audio":    {".ogg", ".opus", ".mp3", ".m4a", ".aac", ".amr"},
	"image":    {".jpg", ".jpeg", ".png"},
	"document": {".pdf", ".txt", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx"},
	"video":    {".mp4", ".3gp"},
}

func (v *validator) media(n *Node) {
	// Media given per language (audio for people who cannot read, most of
	// all) is given for every language, or once for all: a language left
	// out would get none, without a word.
	// Counted by kind: a shared image does not make up for audio left out
	// of one language.
	perLang, shared := map[string]map[string]bool{}, map[string]bool{}
	var kinds []string
	for _, set := range n.Media {
		for _, it := range set.Items {
			if set.Lang == "" {
				shared[it.Kind] = true
				continue
			}
			if perLang[it.Kind] == nil {
				perLang[it.Kind] = map[string]bool{}
				kinds = append(kinds, it.Kind)
			}
			perLang[it.Kind][set.Lang] = true
		}
	}
	for _, kind := range kinds {
		if shared[kind] {
			continue
		}
		for _, l := range v.pb.Languages {
			if !perLang[kind][l] {
				v.add(n.Media[0].Pos, "add "+kind+" for "+l+", or give one "+kind+" for every language",
					"node %q has %s in some languages but none in %q", n.ID, kind, l)
			}
		}
	}
	for _, set := range n.Media {
		if set.Lang != "" && !v.pb.HasLanguage(set.Lang) {
			v.add(set.Pos, "add it to languages or remove this media", "media in %q, which is not one of the playbook's languages", set.Lang)
		}
		for _, m := range set.Items {
			ext := strings.ToLower(path.Ext(strings.SplitN(m.Path, "?", 2)[0]))
			if !slices.Contains(mediaExt[m.Kind], ext) {
				v.add(m.Pos, "WhatsApp takes "+m.Kind+" as "+strings.Join(mediaExt[m.Kind], ", "), "%s %q has an unsupported file type", m.Kind, clip(m.Path, 60))
			}
			switch {
			case strings.HasPrefix(m.Path, "https://"):
			case strings.Contains(m.Path, "://"):
				v.add(m.Pos, "use https://", "media %q is not served over https", clip(m.Path, 60))
			case v.fsys != nil:
				p := path.Join(path.Dir(m.Pos.File), m.Path)
				if _, err := fs.Stat(v.fsys, p); err != nil {
					v.add(m.Pos, "add the file, or fix the path (relative to this playbook file)", "media file %q is missing", m.Path)
				}
			}
		}
	}
}

// graph walking

func (n *Node) links() []string {
	var out []string
	if n.Next != "" {
		out = append(out, n.Next)
	}
	for _, c := range n.Choices {
		if c.Next != "" {
			out = append(out, c.Next)
		}
	}
	for _, c := range n.Cases {
		if c.Next != "" {
			out = append(out, c.Next)
		}
	}
	return out
}

func (v *validator) reachability() {
	pb := v.pb
	reached := map[string]bool{}
	var stack []string
	for _, root := range []string{pb.Start, pb.Menu} {
		if pb.Node(root) != nil && !reached[root] {
			reached[root] = true
			stack = append(stack, root)
		}
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, to := range pb.Node(id).links() {
			if pb.Node(to) != nil && !reached[to] {
				reached[to] = true
				stack = append(stack, to)
			}
		}
	}
	for _, n := range pb.Nodes {
		if n.ID != "" && !reached[n.ID] && pb.Node(n.ID) == n {
			v.add(n.Pos, "link to it from another node with next:, or remove it", "node %q is never reached from start %q", n.ID, pb.Start)
		}
	}
}

// loops finds cycles that pass through no question: the engine would go
// round without waiting for the person.
func (v *validator) loops() {
	pb := v.pb
	var ids []string
	for _, n := range pb.Nodes {
		ids = append(ids, n.ID)
	}
	cycle := findLoop(ids, func(id string) ([]string, bool) {
		n := pb.Node(id)
		if n == nil || n.Kind == KindAsk {
			return nil, false
		}
		return n.links(), true
	})
	if cycle != nil {
		v.add(pb.Node(cycle[0]).Pos, "put a question (ask) in the loop, or break it", "loop without a question: %s", strings.Join(cycle, " → "))
		return
	}
	v.chains()
}

// findLoop walks from each of starts along next (which reports false for a
// place the walk stops at: a question) and returns the first cycle it
// finds, its first place repeated at the end, or nil.
func findLoop[K comparable](starts []K, next func(K) ([]K, bool)) []K {
	const (
		white = iota
		grey
		black
	)
	color := map[K]int{}
	var path, cycle []K
	var visit func(k K)
	visit = func(k K) {
		tos, ok := next(k)
		if !ok {
			return
		}
		color[k] = grey
		path = append(path, k)
		for _, to := range tos {
			switch color[to] {
			case grey:
				i := slices.Index(path, to)
				cycle = append(append([]K(nil), path[i:]...), to)
				return
			case white:
				visit(to)
				if cycle != nil {
					return
				}
			}
		}
		path = path[:len(path)-1]
		color[k] = black
	}
	for _, k := range starts {
		if color[k] == white && cycle == nil {
			visit(k)
		}
	}
	return cycle
}

// chains reports the longest run of nodes one message can pass through
// without reaching a question, when it is longer than the engine lets one
// step go by default (defaultMaxStepNodes): such a playbook would validate
// and then fail on every message that enters the run. loops has ruled out
// cycles without a question. NewLibrary checks runs again across start
// nodes, and NewRunner against a smaller limit of its own.
func (v *validator) chains() {
	worst, from := newRunWalker(nil).longest(v.pb)
	if worst > defaultMaxStepNodes {
		v.add(v.pb.Node(from).Pos, fmt.Sprintf("put a question in it, or make it at most %d nodes", defaultMaxStepNodes),
			"a run of %d nodes without a question starts at %q; one message may pass at most %d", worst, from, defaultMaxStepNodes)
	}
}

// runWalker measures runs of nodes one message passes through without
// reaching a question, counted as the engine counts them (the question
// that ends a run is one of its nodes). With a library, a run goes on
// through a start node into the latest version of the playbook it starts,
// as the engine's does; without one, a start node ends it. Loops without a
// question must have been ruled out.
type runWalker struct {
	lib  *Library
	memo map[runKey]int
}

type runKey struct {
	pb   *Playbook
	node string
}

func newRunWalker(lib *Library) *runWalker {
	return &runWalker{lib: lib, memo: map[runKey]int{}}
}

// from is the most nodes a run that enters k's node passes through.
func (w *runWalker) from(k runKey) int {
	if d, ok := w.memo[k]; ok {
		return d
	}
	w.memo[k] = 1 // a guard: a cycle here passes through a question
	n := k.pb.Node(k.node)
	if n == nil {
		w.memo[k] = 0
		return 0
	}
	next := func(pb *Playbook, id string) int {
		if t := pb.Node(id); t != nil && t.Kind == KindAsk {
			return 1
		}
		return w.from(runKey{pb, id})
	}
	longest := 0
	for _, to := range n.links() {
		longest = max(longest, next(k.pb, to))
	}
	if n.Kind == KindStart && w.lib != nil {
		if t := w.lib.Get(n.Playbook); t != nil {
			longest = max(longest, next(t, t.Start))
		}
	}
	w.memo[k] = 1 + longest
	return w.memo[k]
}

// longest is the longest run that starts in pb, and the node it starts at.
func (w *runWalker) longest(pb *Playbook) (worst int, from string) {
	for _, n := range pb.Nodes {
		if d := w.from(runKey{pb, n.ID}); d > worst {
			worst, from = d, n.ID
		}
	}
	return worst, from
}
