package flowtest

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/flow"
)

// Conversation is one person talking to a library of playbooks.
type Conversation struct {
	Engine   *flow.Engine
	Session  flow.Session
	Language string
	Fields   map[string]string
	Now      time.Time
	// Handoffs counts the hand-offs to the human queue.
	Handoffs int

	seq     int
	choices []chat.Option // the options last offered
}

// New starts a conversation with lib's entry playbook at the given time.
func New(lib *flow.Library, now time.Time) *Conversation {
	return &Conversation{Engine: flow.NewEngine(lib, flow.Limits{}), Fields: map[string]string{}, Now: now}
}

// Step sends one input and returns the events, applying field events to
// the conversation's fields and language.
func (c *Conversation) Step(in flow.Input) ([]flow.Event, error) {
	c.seq++
	if in.ID == "" {
		in.ID = fmt.Sprintf("m%d", c.seq)
	}
	res, err := c.Engine.Step(c.Session, flow.Env{Now: c.Now, Language: c.Language, Fields: c.Fields}, in)
	if err != nil {
		return nil, err
	}
	c.Session = res.Session
	for _, ev := range res.Events {
		switch ev := ev.(type) {
		case flow.FieldEvent:
			if ev.Field == "language" {
				c.Language = ev.Value
			} else {
				c.Fields[ev.Field] = ev.Value
			}
		case flow.HandoffEvent:
			c.Handoffs++
		case flow.MessageEvent:
			if ch, ok := ev.Message.(chat.Choices); ok {
				c.choices = ch.Options
			}
		}
	}
	return res.Events, nil
}

// Text sends typed text.
func (c *Conversation) Text(s string) ([]flow.Event, error) {
	return c.Step(flow.Input{Kind: chat.KindText, Text: s})
}

// Tap taps the option whose id (with or without its node prefix) is id
// among the options last offered; an unknown id is sent as it is.
func (c *Conversation) Tap(id string) ([]flow.Event, error) {
	in := flow.Input{Kind: chat.KindChoice, Choice: id}
	for _, o := range c.choices {
		if o.ID == id || strings.HasSuffix(o.ID, ":"+id) {
			in.Choice, in.Text = o.ID, o.Title
		}
	}
	return c.Step(in)
}

// Script plays a script (see the package documentation) and writes the
// transcript to w: "> " before what the person sends, the line's messages
// after. It stops at the first engine error.
func (c *Conversation) Script(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, err := fmt.Fprintf(w, "> %s\n", line); err != nil {
			return err
		}
		events, err := c.Do(line)
		if err != nil {
			return err
		}
		if err := Write(w, events); err != nil {
			return err
		}
	}
	return sc.Err()
}

// Do runs one script line and returns the events (none for settings).
func (c *Conversation) Do(line string) ([]flow.Event, error) {
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "!tap":
		return c.Tap(arg)
	case "!photo":
		return c.Step(flow.Input{Kind: chat.KindImage})
	case "!voice":
		return c.Step(flow.Input{Kind: chat.KindAudio})
	case "!lang":
		c.Language = arg
		return nil, nil
	case "!field":
		k, v, _ := strings.Cut(arg, "=")
		c.Fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		return nil, nil
	case "!time":
		t, err := time.Parse(time.RFC3339, arg)
		if err != nil {
			return nil, fmt.Errorf("flowtest: !time: %w", err)
		}
		c.Now = t
		return nil, nil
	}
	if strings.HasPrefix(line, "!") {
		return nil, fmt.Errorf("flowtest: unknown command %q", cmd)
	}
	return c.Text(line)
}

// Write renders events as the person would see them.
func Write(w io.Writer, events []flow.Event) error {
	var b strings.Builder
	for _, ev := range events {
		switch ev := ev.(type) {
		case flow.MessageEvent:
			switch m := ev.Message.(type) {
			case chat.Text:
				b.WriteString(indent(m.Body))
			case chat.Choices:
				b.WriteString(indent(m.Body))
				for i, o := range m.Options {
					fmt.Fprintf(&b, "     %d. %s", i+1, o.Title)
					if o.Description != "" {
						fmt.Fprintf(&b, " — %s", o.Description)
					}
					b.WriteString("\n")
				}
			}
		case flow.MediaEvent:
			fmt.Fprintf(&b, "  [%s: %s]\n", ev.Kind, ev.Path)
		case flow.HandoffEvent:
			fmt.Fprintf(&b, "  [handed to staff: priority %d, %s]\n", ev.Priority, ev.Reason)
		case flow.StartEvent:
			fmt.Fprintf(&b, "  [playbook %s v%d]\n", ev.Playbook, ev.Version)
		case flow.FieldEvent:
			fmt.Fprintf(&b, "  [saved %s = %q]\n", ev.Field, ev.Value)
		case flow.EndEvent:
			b.WriteString("  [end]\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if i == 0 {
			lines[i] = "< " + l
		} else if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// Summary describes the conversation's state: the session, its encoded
// size, the fields and the hand-offs, one item per line.
func (c *Conversation) Summary() string {
	s := c.Session
	data, _ := s.MarshalBinary()
	var b strings.Builder
	fmt.Fprintf(&b, "session: playbook=%s@%d node=%q lang=%s ended=%v retries=%d\n", s.Playbook, s.Version, s.Node, s.Lang, s.Ended, s.Retries)
	fmt.Fprintf(&b, "session: back=%v answer=%q size=%d bytes\n", s.Back, s.Answer, len(data))
	for _, k := range slices.Sorted(maps.Keys(c.Fields)) {
		fmt.Fprintf(&b, "field: %s=%q\n", k, c.Fields[k])
	}
	if c.Language != "" {
		fmt.Fprintf(&b, "language: %s\n", c.Language)
	}
	fmt.Fprintf(&b, "handoffs: %d\n", c.Handoffs)
	return b.String()
}
