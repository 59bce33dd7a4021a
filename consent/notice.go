package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/impactchat/impactchat/chat"
)

// Choice ids the notice's buttons carry. The Gate recognises them in
// Message.Choice.
const (
	ChoiceAccept  = "consent.accept"
	ChoiceDecline = "consent.decline"
	ChoiceAudio   = "consent.audio"
	// Menus may offer the control actions as buttons with these ids.
	ChoiceWithdraw = "consent.withdraw"
	ChoiceErase    = "consent.erase"
	ChoiceExport   = "consent.export"
	ChoiceReceipt  = "consent.receipt"
	// ChoiceGrantPrefix and ChoiceRefusePrefix, followed by a purpose
	// ("consent.grant.followup"), let any menu ask for an optional purpose:
	// the Gate records the answer and passes the message on.
	ChoiceGrantPrefix  = "consent.grant."
	ChoiceRefusePrefix = "consent.refuse."
)

// WhatsApp's limits for interactive messages, which the notice is sent as.
const (
	maxHeader      = 60
	maxBody        = 1024
	maxFooter      = 60
	maxButtonTitle = 20
	maxText        = 4096
)

// Notice is one published version of the privacy notice in one language. It
// is immutable once loaded.
type Notice struct {
	Language string // BCP 47 tag, e.g. "ar"
	// Version identifies the text; versions of one language sort in the
	// order they were published (use dates such as "2026-03").
	Version string
	// Material says this version changes what people agreed to (new
	// purposes, recipients, retention...): everyone must answer again.
	Material bool
	// MaterialSince is the oldest version whose consent still covers this
	// one: Version when Material, else the version of the last material
	// change.
	MaterialSince string
	Published     time.Time
	PolicyURL     string // the simplified statement in this language
	LegalURL      string // the legally binding statement
	Header        string
	Body          string
	Footer        string
	Buttons       Buttons
	// Audio is the notice read aloud, for people who cannot read it; nil
	// when there is none.
	Audio    *chat.Media
	Purposes []PurposeTerms
	Texts    Texts
	// Source is the file the notice was loaded from.
	Source string
	// Hash is the hex SHA-256 of exactly what is shown: header, body,
	// footer, buttons and the audio reference.
	Hash string
}

// Buttons are the titles of the notice's choices (20 characters at most).
type Buttons struct {
	Accept  string `yaml:"accept"`
	Decline string `yaml:"decline"`
	Audio   string `yaml:"audio"`
}

// Texts are the other messages of the consent conversation in the notice's
// language. They may use the placeholders {date}, {version}, {purposes},
// {stop}, {erase}, {export}, {review_date}, {policy_url}, {messages} and
// {tickets}.
type Texts struct {
	Accepted        string `yaml:"accepted"`         // after Accept (optional)
	Declined        string `yaml:"declined"`         // after Decline: how else to get help
	Withdrawn       string `yaml:"withdrawn"`        // the one withdrawal confirmation
	Erased          string `yaml:"erased"`           // erasure done
	ErasureHeld     string `yaml:"erasure_held"`     // erasure delayed by a hold
	ExportRequested string `yaml:"export_requested"` // a copy was asked for
	Receipt         string `yaml:"receipt"`          // the short in-chat receipt
	Summary         string `yaml:"summary"`          // the plain-language summary of an export
}

// PurposeTerms says what one purpose means under a notice.
type PurposeTerms struct {
	Purpose     chat.Purpose
	Basis       Basis
	Required    bool   // only the core purpose may be required
	Description string // one line, in the notice's language
	// PIICategories are Kantara piiCategory names ("Contact", "Health"...).
	PIICategories []string
	Sensitive     bool
	// SensitiveCategories are Kantara spiCat names.
	SensitiveCategories []string
	// Recipients are the processors and third parties that see the data.
	Recipients []string
	Retention  time.Duration
	// ConsentTTL is how long consent lasts; 0 means until withdrawn.
	ConsentTTL time.Duration
}

// Message returns the notice as it is sent: a question with Accept, Decline
// and (with an audio version) Listen choices.
func (n *Notice) Message() chat.Choices {
	opts := []chat.Option{
		{ID: ChoiceAccept, Title: n.Buttons.Accept},
		{ID: ChoiceDecline, Title: n.Buttons.Decline},
	}
	if n.Audio != nil {
		opts = append(opts, chat.Option{ID: ChoiceAudio, Title: n.Buttons.Audio})
	}
	return chat.Choices{Header: n.Header, Body: n.body(), Footer: n.Footer, Options: opts}
}

func (n *Notice) body() string {
	if n.PolicyURL == "" || strings.Contains(n.Body, n.PolicyURL) {
		return n.Body
	}
	return n.Body + "\n\n" + n.PolicyURL
}

// Terms returns the terms of purpose p, and whether the notice names it.
func (n *Notice) Terms(p chat.Purpose) (PurposeTerms, bool) {
	for _, t := range n.Purposes {
		if t.Purpose == p {
			return t, true
		}
	}
	return PurposeTerms{}, false
}

// Covers reports whether consent given to version v still covers n: no
// material change was published after v.
func (n *Notice) Covers(v string) bool {
	return v != "" && v >= n.MaterialSince
}

func (n *Notice) computeHash() string {
	h := sha256.New()
	m := n.Message()
	field := func(s string) {
		// length-prefixed, so that no two different notices hash alike
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	field("impactchat-notice-v1")
	field(m.Header)
	field(m.Body)
	field(m.Footer)
	for _, o := range m.Options {
		field(o.ID)
		field(o.Title)
	}
	if n.Audio != nil {
		field(n.Audio.ID)
		field(n.Audio.URL)
	}
	return hex.EncodeToString(h.Sum(nil))
}

type rawNotice struct {
	Language      string       `yaml:"language"`
	Version       string       `yaml:"version"`
	Material      *bool        `yaml:"material"`
	MaterialSince string       `yaml:"material_since"`
	Published     string       `yaml:"published"`
	PolicyURL     string       `yaml:"policy_url"`
	LegalURL      string       `yaml:"legal_url"`
	Header        string       `yaml:"header"`
	Body          string       `yaml:"body"`
	Footer        string       `yaml:"footer"`
	Buttons       Buttons      `yaml:"buttons"`
	Audio         *rawAudio    `yaml:"audio"`
	Purposes      []rawPurpose `yaml:"purposes"`
	Texts         Texts        `yaml:"texts"`
}

type rawAudio struct {
	ID  string `yaml:"id"`
	URL string `yaml:"url"`
}

type rawPurpose struct {
	Purpose             string   `yaml:"purpose"`
	Basis               string   `yaml:"basis"`
	Required            bool     `yaml:"required"`
	Description         string   `yaml:"description"`
	PIICategories       []string `yaml:"pii_categories"`
	Sensitive           bool     `yaml:"sensitive"`
	SensitiveCategories []string `yaml:"sensitive_categories"`
	Recipients          []string `yaml:"recipients"`
	Retention           string   `yaml:"retention"`
	ConsentTTL          string   `yaml:"consent_ttl"`
}

var (
	langRE        = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	purposeRE     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	placeholderRE = regexp.MustCompile(`\{([a-z_]+)\}`)
)

var placeholders = map[string]bool{
	"date": true, "version": true, "purposes": true, "stop": true, "erase": true,
	"export": true, "review_date": true, "policy_url": true, "messages": true, "tickets": true,
}

// ParseNotice parses one notice file. name is used in errors only.
func ParseNotice(name string, data []byte) (*Notice, error) {
	var raw rawNotice
	doc, err := decodeYAML(name, data, &raw)
	if err != nil {
		return nil, err
	}
	n := &Notice{
		Language: raw.Language, Version: raw.Version, MaterialSince: raw.MaterialSince,
		PolicyURL: strings.TrimSpace(raw.PolicyURL), LegalURL: strings.TrimSpace(raw.LegalURL),
		Header: strings.TrimSpace(raw.Header), Body: strings.TrimSpace(raw.Body), Footer: strings.TrimSpace(raw.Footer),
		Buttons: raw.Buttons, Texts: trimTexts(raw.Texts), Source: name,
	}
	switch {
	case !langRE.MatchString(n.Language):
		return nil, doc.fail(fmt.Sprintf("is %q; want a BCP 47 tag such as \"en\" or \"fa-AF\"", n.Language), "language")
	case n.Version == "":
		return nil, doc.fail("is empty", "version")
	case len(n.Version) > 64:
		return nil, doc.fail(fmt.Sprintf("is %d characters; the limit is 64", len(n.Version)), "version")
	case raw.Material == nil:
		return nil, doc.fail("is missing; say true when this version changes what people agreed to", "material")
	}
	n.Material = *raw.Material
	if n.Material {
		if n.MaterialSince != "" && n.MaterialSince != n.Version {
			return nil, doc.fail("must be empty or equal to version when material is true", "material_since")
		}
		n.MaterialSince = n.Version
	} else {
		if n.MaterialSince == "" {
			return nil, doc.fail("is empty; with material: false, name the version of the last material change", "material_since")
		}
		if n.MaterialSince > n.Version {
			return nil, doc.fail(fmt.Sprintf("is %q, later than version %q", n.MaterialSince, n.Version), "material_since")
		}
	}
	if raw.Published != "" {
		t, err := time.Parse(time.DateOnly, raw.Published)
		if err != nil {
			return nil, doc.fail(fmt.Sprintf("is %q; want a date such as 2026-03-01", raw.Published), "published")
		}
		n.Published = t
	}
	for _, u := range []struct{ v, f string }{{n.PolicyURL, "policy_url"}, {n.LegalURL, "legal_url"}} {
		if u.v != "" && !strings.HasPrefix(u.v, "https://") {
			return nil, doc.fail("must start with https://", u.f)
		}
	}
	if n.PolicyURL == "" {
		return nil, doc.fail("is empty; the notice must link to the simplified statement", "policy_url")
	}
	for _, c := range []struct {
		v, f  string
		limit int
		req   bool
	}{
		{n.Header, "header", maxHeader, false},
		{n.body(), "body", maxBody, true},
		{n.Footer, "footer", maxFooter, false},
		{n.Buttons.Accept, "buttons.accept", maxButtonTitle, true},
		{n.Buttons.Decline, "buttons.decline", maxButtonTitle, true},
		{n.Buttons.Audio, "buttons.audio", maxButtonTitle, raw.Audio != nil},
	} {
		path := strings.Split(c.f, ".")
		if c.req && c.v == "" {
			return nil, doc.fail("is empty", path...)
		}
		if k := utf8.RuneCountInString(c.v); k > c.limit {
			what := fmt.Sprintf("is %d characters; WhatsApp allows %d", k, c.limit)
			if c.f == "body" && n.body() != n.Body {
				what = fmt.Sprintf("is %d characters with the policy link; WhatsApp allows %d", k, c.limit)
			}
			return nil, doc.fail(what, path...)
		}
	}
	if n.Buttons.Accept == n.Buttons.Decline {
		return nil, doc.fail("is the same as buttons.accept", "buttons", "decline")
	}
	if raw.Audio != nil {
		a := raw.Audio
		switch {
		case (a.ID == "") == (a.URL == ""):
			return nil, doc.fail("needs exactly one of id and url", "audio")
		case a.URL != "" && !strings.HasPrefix(a.URL, "https://"):
			return nil, doc.fail("must start with https://", "audio", "url")
		}
		n.Audio = &chat.Media{Kind: chat.MediaAudio, ID: a.ID, URL: a.URL}
	}
	if err := n.parsePurposes(doc, raw.Purposes); err != nil {
		return nil, err
	}
	if err := checkTexts(doc, n.Texts); err != nil {
		return nil, err
	}
	n.Hash = n.computeHash()
	return n, nil
}

func trimTexts(t Texts) Texts {
	for _, p := range []*string{&t.Accepted, &t.Declined, &t.Withdrawn, &t.Erased, &t.ErasureHeld, &t.ExportRequested, &t.Receipt, &t.Summary} {
		*p = strings.TrimSpace(*p)
	}
	return t
}

func checkTexts(doc *yamlDoc, t Texts) error {
	for _, c := range []struct {
		v, f string
		req  bool
	}{
		{t.Accepted, "accepted", false},
		{t.Declined, "declined", true},
		{t.Withdrawn, "withdrawn", true},
		{t.Erased, "erased", true},
		{t.ErasureHeld, "erasure_held", true},
		{t.ExportRequested, "export_requested", true},
		{t.Receipt, "receipt", true},
		{t.Summary, "summary", true},
	} {
		if c.req && c.v == "" {
			return doc.fail("is empty", "texts", c.f)
		}
		if k := utf8.RuneCountInString(c.v); k > maxText {
			return doc.fail(fmt.Sprintf("is %d characters; WhatsApp allows %d", k, maxText), "texts", c.f)
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(c.v, -1) {
			if !placeholders[m[1]] {
				return doc.fail(fmt.Sprintf("uses unknown placeholder {%s}", m[1]), "texts", c.f)
			}
		}
	}
	return nil
}

func (n *Notice) parsePurposes(doc *yamlDoc, raw []rawPurpose) error {
	if len(raw) == 0 {
		return doc.fail("is empty; name at least the core purpose", "purposes")
	}
	seen := map[string]bool{}
	for i, r := range raw {
		at := "[" + strconv.Itoa(i) + "]"
		if !purposeRE.MatchString(r.Purpose) {
			return doc.fail(fmt.Sprintf("is %q; want a lower-case name such as core or followup", r.Purpose), "purposes", at, "purpose")
		}
		if seen[r.Purpose] {
			return doc.fail(fmt.Sprintf("repeats %q", r.Purpose), "purposes", at, "purpose")
		}
		seen[r.Purpose] = true
		t := PurposeTerms{
			Purpose: chat.Purpose(r.Purpose), Basis: Basis(r.Basis), Required: r.Required,
			Description: strings.TrimSpace(r.Description), PIICategories: r.PIICategories,
			Sensitive: r.Sensitive, SensitiveCategories: r.SensitiveCategories, Recipients: r.Recipients,
		}
		if t.Basis == "" {
			t.Basis = BasisConsent
		}
		if !t.Basis.known() {
			return doc.fail(fmt.Sprintf("is %q; want one of consent, explicit_consent, vital_interest, public_interest, legitimate_interest, legal_obligation, contract", r.Basis), "purposes", at, "basis")
		}
		if t.Required && t.Purpose != chat.PurposeCore {
			return doc.fail("may be true only for the core purpose: optional purposes never gate the service", "purposes", at, "required")
		}
		var err error
		if t.Retention, err = parseDays(r.Retention); err != nil {
			return doc.fail(err.Error(), "purposes", at, "retention")
		}
		if t.ConsentTTL, err = parseDays(r.ConsentTTL); err != nil {
			return doc.fail(err.Error(), "purposes", at, "consent_ttl")
		}
		n.Purposes = append(n.Purposes, t)
	}
	if !seen[string(chat.PurposeCore)] {
		return doc.fail("has no core purpose", "purposes")
	}
	return nil
}

// parseDays parses "90d", "12h" or any Go duration; empty is zero.
func parseDays(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("is %q; want a number of days such as 90d (at most 36500)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("is %q; want a duration such as 90d or 720h", s)
	}
	return v, nil
}

// Notices is the set of current notices, one per language, with a default
// language used when a person's language has no notice.
type Notices struct {
	byLang map[string]*Notice
	def    string
}

// NewNotices builds a set from notices, one per language. def is the
// default language; empty means "en" when present, else the first language
// in sort order.
func NewNotices(def string, ns ...*Notice) (*Notices, error) {
	if len(ns) == 0 {
		return nil, fmt.Errorf("consent: notices: %w: none given", ErrNoNotice)
	}
	s := &Notices{byLang: map[string]*Notice{}}
	for i, n := range ns {
		if n == nil {
			return nil, fmt.Errorf("consent: notices: %w: notice %d of %d is nil", ErrNoNotice, i+1, len(ns))
		}
		if prev, ok := s.byLang[n.Language]; ok {
			return nil, &LoadError{File: n.Source, Field: "language", Problem: fmt.Sprintf("%q is also the language of %s", n.Language, prev.Source)}
		}
		s.byLang[n.Language] = n
	}
	switch {
	case def != "":
		if _, ok := s.byLang[def]; !ok {
			return nil, fmt.Errorf("consent: notices: %w: default language %q has no notice", ErrNoNotice, def)
		}
		s.def = def
	case s.byLang["en"] != nil:
		s.def = "en"
	default:
		s.def = s.Languages()[0]
	}
	return s, nil
}

// LoadNotices loads every *.yaml and *.yml file in dir as a notice. It
// refuses a file larger than 256 KiB and a directory of more than 100
// notice files.
func LoadNotices(dir, def string) (*Notices, error) {
	return LoadNoticesFS(os.DirFS(dir), ".", def)
}

// LoadNoticesFS is LoadNotices on a file system.
func LoadNoticesFS(fsys fs.FS, dir, def string) (*Notices, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("consent: load notices: %w", err)
	}
	var ns []*Notice
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || (path.Ext(name) != ".yaml" && path.Ext(name) != ".yml") {
			continue
		}
		if len(ns) == maxNoticeFiles {
			return nil, fmt.Errorf("consent: load notices: %w", &LoadError{File: dir, Problem: fmt.Sprintf("holds more than %d notice files, the limit", maxNoticeFiles)})
		}
		data, err := readFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("consent: load notices: %w", err)
		}
		n, err := ParseNotice(name, data)
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
	}
	return NewNotices(def, ns...)
}

// Languages returns the languages that have a notice, sorted.
func (s *Notices) Languages() []string {
	out := make([]string, 0, len(s.byLang))
	for l := range s.byLang {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// Default returns the notice in the default language.
func (s *Notices) Default() *Notice { return s.byLang[s.def] }

// Get returns the notice for lang: exactly, else for its base language
// ("es" for "es-MX"), else the default.
func (s *Notices) Get(lang string) *Notice {
	if n, ok := s.byLang[lang]; ok {
		return n
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if n, ok := s.byLang[base]; ok {
			return n
		}
	}
	return s.Default()
}

// Has reports whether lang has its own notice.
func (s *Notices) Has(lang string) bool {
	_, ok := s.byLang[lang]
	return ok
}
