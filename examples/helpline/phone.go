package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/impactchat/impactchat/storage"
	"github.com/impactchat/impactchat/whatsapp/whatsapptest"
)

// phone turns the terminal into the WhatsApp of a community member writing
// to the line: what they type is delivered to the line's webhook exactly as
// Meta would deliver it (signed, through the real handler), and what the line
// sends appears as it would on their screen, buttons as numbered choices.
type phone struct {
	sim        *whatsapptest.Server
	webhookURL string
	secret     string
	line       string
	store      storage.Store

	mu      sync.Mutex
	out     io.Writer
	number  string
	lang    string
	options []whatsapptest.Choice
	list    bool // the last choices were a list rather than reply buttons
}

const phoneHelp = `Type a message and press Enter. Answer buttons with their number.
  /lang CODE   the language the line knows you by (en, ar, es...), as if it
               had asked; the privacy notice comes in the language you
               write in, or the one you name (ESPAÑOL, العربية...)
  /voice       send a voice note
  /new         become a new person
  /help        show this again
  /quit        leave`

func newPhone(sim *whatsapptest.Server, webhookURL, secret, line string, store storage.Store, out io.Writer) *phone {
	return &phone{sim: sim, webhookURL: webhookURL, secret: secret, line: line, store: store, out: out, number: randomNumber()}
}

// randomNumber makes a number in a range reserved for fiction, so the
// simulator never writes a real person's number to the store.
func randomNumber() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "15550100000"
	}
	return fmt.Sprintf("1555%07d", n.Int64())
}

// show prints a message the line sent to this person. It is called by the
// simulator for every message the line sends.
func (p *phone) show(s whatsapptest.Sent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.To != p.number && s.To != "+"+p.number {
		return // another person (an earlier /new)
	}
	var b strings.Builder
	b.WriteString("\nline › ")
	switch {
	case s.Type == "template":
		fmt.Fprintf(&b, "[template %s] %s", s.Template, strings.Join(s.Params, " · "))
	case s.Type == "audio":
		b.WriteString("[voice message]")
	case s.Type == "image" || s.Type == "video" || s.Type == "document":
		fmt.Fprintf(&b, "[%s] %s", s.Type, s.Text)
	case s.Type == "reaction":
		fmt.Fprintf(&b, "[reacted %s]", s.Text)
	default:
		if s.Header != "" {
			b.WriteString(s.Header + "\n       ")
		}
		b.WriteString(strings.ReplaceAll(s.Text, "\n", "\n       "))
		if s.Footer != "" {
			b.WriteString("\n       " + s.Footer)
		}
	}
	if len(s.Options) > 0 {
		p.options = append(p.options[:0], s.Options...)
		p.list = s.Interactive == "list"
		for i, o := range s.Options {
			fmt.Fprintf(&b, "\n       %d. %s", i+1, o.Title)
			if o.Description != "" {
				b.WriteString(" — " + o.Description)
			}
		}
	}
	b.WriteString("\n")
	io.WriteString(p.out, b.String())
}

func (p *phone) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format, args...)
}

// run reads the terminal until it ends, ctx is cancelled or /quit.
func (p *phone) run(ctx context.Context, in io.Reader) error {
	p.printf("%s\n\nYou are %s, writing to the line. Say hello.\n", phoneHelp, p.display())
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 64*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if quit := p.handle(ctx, strings.TrimSpace(line)); quit {
				return nil
			}
		}
	}
}

func (p *phone) display() string {
	return "+" + p.number[:4] + "…" + p.number[len(p.number)-2:]
}

func (p *phone) handle(ctx context.Context, line string) (quit bool) {
	if line == "" {
		return false
	}
	in := whatsapptest.Inbound{PhoneNumberID: p.line, Name: "Simulated person"}
	switch cmd, arg, _ := strings.Cut(line, " "); cmd {
	case "/quit", "/exit":
		return true
	case "/help":
		p.printf("%s\n", phoneHelp)
		return false
	case "/new":
		p.mu.Lock()
		p.number, p.lang, p.options = randomNumber(), "", nil
		p.mu.Unlock()
		p.printf("You are now %s, a new person.\n", p.display())
		return false
	case "/lang":
		p.setLanguage(ctx, strings.TrimSpace(arg))
		return false
	case "/voice":
		id := p.sim.AddMedia("audio/ogg", []byte("OggS simulated voice note"))
		in.Media = &whatsapptest.InboundMedia{Kind: "audio", ID: id, MIMEType: "audio/ogg; codecs=opus", Voice: true}
		p.printf("you › [voice note]\n")
	default:
		p.mu.Lock()
		if n, err := strconv.Atoi(line); err == nil && n >= 1 && n <= len(p.options) {
			o := p.options[n-1]
			r := &whatsapptest.Reply{ID: o.ID, Title: o.Title, Description: o.Description}
			if p.list {
				in.ListReply = r
			} else {
				in.ButtonReply = r
			}
		} else {
			in.Text = line
		}
		p.mu.Unlock()
	}
	p.mu.Lock()
	in.From = p.number
	p.mu.Unlock()
	if _, err := p.sim.DeliverMessage(ctx, p.webhookURL, p.secret, in); err != nil {
		p.printf("(the line did not accept the message: %v; Meta would retry it)\n", err)
		return false
	}
	p.mu.Lock()
	pending, number := p.lang, p.number
	p.mu.Unlock()
	if pending != "" {
		go p.languageOnceKnown(ctx, number, pending)
	}
	return false
}

// languageOnceKnown sets a language chosen before the person first wrote,
// once the line has recorded them (it does so as it handles the message).
func (p *phone) languageOnceKnown(ctx context.Context, number, lang string) {
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: number}
	for range 100 {
		if _, err := p.store.Contacts().Get(ctx, ref); err == nil {
			p.mu.Lock()
			same := p.number == number && p.lang == lang
			p.mu.Unlock()
			if same {
				p.setLanguage(ctx, lang)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// setLanguage records the language a person chose, as the line would after
// asking them. The simulator writes it to the store directly.
func (p *phone) setLanguage(ctx context.Context, lang string) {
	if lang == "" {
		p.printf("Say which language, e.g. /lang ar\n")
		return
	}
	p.mu.Lock()
	p.lang = lang
	ref := storage.ContactRef{Channel: "whatsapp", Identifier: p.number}
	p.mu.Unlock()
	for attempt := 1; ; attempt++ {
		c, err := p.store.Contacts().Get(ctx, ref)
		if err != nil {
			p.printf("Your language will be %s once you have written to the line.\n", lang)
			return
		}
		p.mu.Lock()
		p.lang = ""
		p.mu.Unlock()
		c.Language = lang
		_, err = p.store.Contacts().Update(ctx, c, c.UpdatedAt)
		if errors.Is(err, storage.ErrConflict) && attempt < 5 {
			continue // the line changed the record meanwhile
		}
		if err != nil {
			p.printf("Could not change the language: %v\n", err)
			return
		}
		p.printf("Your language is now %s.\n", lang)
		return
	}
}
