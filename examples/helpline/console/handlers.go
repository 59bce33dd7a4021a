package console

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/impactchat/impactchat/chat"
	"github.com/impactchat/impactchat/storage"
	"golang.org/x/crypto/bcrypt"
)

type ctxKey struct{}

type principal struct {
	staff storage.StaffAccount
	se    session
}

func from(r *http.Request) principal { return r.Context().Value(ctxKey{}).(principal) }

// auth admits signed-in staff and checks the CSRF token and origin of every
// POST.
func (c *Console) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(sessionCookie)
		if err != nil {
			http.Redirect(w, r, c.cfg.Prefix+"/login", http.StatusSeeOther)
			return
		}
		se, err := c.sign.decode(ck.Value, c.cfg.Now())
		if err != nil {
			c.clearSession(w)
			http.Redirect(w, r, c.cfg.Prefix+"/login", http.StatusSeeOther)
			return
		}
		acct, err := c.cfg.Store.Staff().Get(r.Context(), se.Staff)
		if err != nil || acct.Disabled || acct.Version != se.Version {
			c.clearSession(w)
			http.Redirect(w, r, c.cfg.Prefix+"/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			if !sameOrigin(r) || !c.sign.checkCSRF(se, r.PostFormValue("csrf")) {
				http.Error(w, "This form has expired. Go back, reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, principal{staff: acct, se: se})))
	}
}

// sameOrigin refuses cross-site posts: when the browser names an origin, it
// must be this host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func (c *Console) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: c.cfg.Prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: !c.cfg.InsecureCookies, SameSite: http.SameSiteStrictMode,
	}
}

func (c *Console) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, c.cookie(sessionCookie, "", -1))
}

type page struct {
	Title   string
	CSRF    string
	Staff   string
	Flash   string
	Error   string
	Data    any
	LoginID string
}

func (c *Console) render(w http.ResponseWriter, name string, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.tmpl.ExecuteTemplate(w, name, p); err != nil {
		c.log.Error("console: render", "template", name, "err", err)
	}
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	http.SetCookie(w, c.cookie(loginCookie, tok, 600))
	c.render(w, "login.html", http.StatusOK, page{Title: "Sign in", CSRF: tok})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	now := c.cfg.Now()
	ck, err := r.Cookie(loginCookie)
	if err != nil || !sameOrigin(r) || r.PostFormValue("csrf") == "" ||
		!constantEqual(ck.Value, r.PostFormValue("csrf")) {
		http.Error(w, "This form has expired. Reload the page and try again.", http.StatusForbidden)
		return
	}
	login := strings.TrimSpace(r.PostFormValue("login"))
	password := r.PostFormValue("password")
	addrKey, loginKey := "addr:"+clientAddr(r), "login:"+strings.ToLower(login)
	fail := func(msg string) {
		tok := randomToken()
		http.SetCookie(w, c.cookie(loginCookie, tok, 600))
		c.render(w, "login.html", http.StatusUnauthorized, page{Title: "Sign in", CSRF: tok, Error: msg, LoginID: login})
	}
	// Every attempt counts before the password is checked, and a
	// successful one is given back.
	tookAddr := c.logins.take(addrKey, now)
	if !tookAddr || !c.logins.take(loginKey, now) {
		if tookAddr {
			c.logins.give(addrKey, now)
		}
		c.log.Warn("console: sign-in rate limited")
		tok := randomToken()
		http.SetCookie(w, c.cookie(loginCookie, tok, 600))
		c.render(w, "login.html", http.StatusTooManyRequests, page{Title: "Sign in", CSRF: tok,
			Error: "Too many attempts. Wait 15 minutes and try again.", LoginID: login})
		return
	}
	acct, err := c.cfg.Store.Staff().ByLogin(r.Context(), login)
	if err != nil {
		// Spend the same time as a real check, so the answer does not tell
		// which logins exist.
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
	}
	if err != nil || acct.Disabled || bcrypt.CompareHashAndPassword(acct.PasswordHash, []byte(password)) != nil {
		c.audit(r.Context(), "system", "staff.sign_in_failed", "", nil)
		fail("That login and password do not match an account.")
		return
	}
	c.logins.reset(loginKey)
	c.logins.give(addrKey, now)
	se := session{Staff: acct.ID, Version: acct.Version, Nonce: randomToken(), Expires: now.Add(sessionTTL)}
	http.SetCookie(w, c.cookie(sessionCookie, c.sign.encode(se), int(sessionTTL/time.Second)))
	http.SetCookie(w, c.cookie(loginCookie, "", -1))
	c.audit(r.Context(), acct.ID, "staff.signed_in", acct.ID, nil)
	http.Redirect(w, r, c.cfg.Prefix+"/", http.StatusSeeOther)
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

func constantEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	c.clearSession(w)
	// Signing out ends the account's sessions (a copy of the cookie, taken
	// before, opens nothing): sessions carry the account's version, and an
	// update moves it on.
	if _, err := c.cfg.Store.Staff().Update(r.Context(), from(r).staff); err != nil {
		c.log.Error("console: sign-out did not end the account's sessions", "error", err)
	}
	c.audit(r.Context(), from(r).staff.ID, "staff.signed_out", from(r).staff.ID, nil)
	http.Redirect(w, r, c.cfg.Prefix+"/login", http.StatusSeeOther)
}

type homeData struct {
	Waiting []countRow
	Mine    []storage.Ticket
}

type countRow struct {
	Priority string
	Count    int
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	p := from(r)
	open, err := c.cfg.Store.Tickets().List(r.Context(), storage.TicketFilter{States: []storage.TicketState{storage.TicketOpen}})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	counts := make([]int, len(priorityNames))
	for _, t := range open {
		if t.Priority >= 0 && t.Priority < len(counts) {
			counts[t.Priority]++
		}
	}
	var rows []countRow
	for i := len(counts) - 1; i >= 0; i-- {
		rows = append(rows, countRow{Priority: priorityNames[i], Count: counts[i]})
	}
	claimed, err := c.cfg.Store.Tickets().List(r.Context(), storage.TicketFilter{States: []storage.TicketState{storage.TicketClaimed}})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	var mine []storage.Ticket
	for _, t := range claimed {
		if t.Assignee == p.staff.ID {
			mine = append(mine, t)
		}
	}
	c.render(w, "home.html", http.StatusOK, page{Title: "Queue", CSRF: c.sign.csrf(p.se), Staff: p.staff.Name,
		Flash: r.URL.Query().Get("flash"), Data: homeData{Waiting: rows, Mine: mine}})
}

func (c *Console) next(w http.ResponseWriter, r *http.Request) {
	p := from(r)
	t, err := c.cfg.Queue.Next(r.Context(), p.staff.ID)
	if errors.Is(err, storage.ErrNotFound) {
		http.Redirect(w, r, c.cfg.Prefix+"/?flash="+url.QueryEscape("Nobody is waiting."), http.StatusSeeOther)
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.audit(r.Context(), p.staff.ID, "ticket.claimed", t.ID, map[string]string{"priority": priorityName(t.Priority)})
	http.Redirect(w, r, c.cfg.Prefix+"/t/"+t.ID, http.StatusSeeOther)
}

type ticketData struct {
	T           storage.Ticket
	Mine        bool
	Contact     storage.Contact
	Revealed    bool
	WindowOpen  bool
	WindowEnds  time.Time
	WindowUnix  int64
	History     []storage.MessageRecord
	Priorities  []string
	Template    Template
	PersonLabel string
}

func (c *Console) loadTicket(w http.ResponseWriter, r *http.Request) (storage.Ticket, bool) {
	t, err := c.cfg.Store.Tickets().Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, storage.ErrNotFound) {
		http.NotFound(w, r)
		return t, false
	}
	if err != nil {
		c.fail(w, r, err)
		return t, false
	}
	return t, true
}

func (c *Console) ticket(w http.ResponseWriter, r *http.Request) {
	c.showTicket(w, r, false, r.URL.Query().Get("flash"), "")
}

func (c *Console) showTicket(w http.ResponseWriter, r *http.Request, reveal bool, flash, problem string) {
	p := from(r)
	t, ok := c.loadTicket(w, r)
	if !ok {
		return
	}
	if !reveal {
		// Who read a conversation is recorded, as who revealed a number is
		// (a reveal records itself).
		c.audit(r.Context(), p.staff.ID, "ticket.viewed", t.ID, nil)
	}
	d := ticketData{T: t, Mine: t.State == storage.TicketClaimed && t.Assignee == p.staff.ID,
		Priorities: priorityNames, Template: c.cfg.FollowUp, Revealed: reveal}
	contact, err := c.cfg.Store.Contacts().Get(r.Context(), t.Contact)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		c.fail(w, r, err)
		return
	}
	d.Contact = contact
	d.PersonLabel = "Person " + shortID(contact.ID, t.ID)
	if !contact.LastInboundAt.IsZero() {
		d.WindowEnds = contact.LastInboundAt.Add(c.cfg.Window)
		d.WindowOpen = c.cfg.Now().Before(d.WindowEnds)
		d.WindowUnix = d.WindowEnds.Unix()
	}
	hist, err := c.cfg.Store.Messages().History(r.Context(), t.Contact, 50)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.History = hist
	status := http.StatusOK
	if problem != "" {
		status = http.StatusUnprocessableEntity
	}
	c.render(w, "ticket.html", status, page{Title: d.PersonLabel, CSRF: c.sign.csrf(p.se), Staff: p.staff.Name, Flash: flash, Error: problem, Data: d})
}

func shortID(contactID, ticketID string) string {
	id := contactID
	if id == "" {
		id = ticketID
	}
	if len(id) > 8 {
		id = id[:8]
	}
	return id
}

// mine loads the ticket and checks that the staff member holds it.
func (c *Console) mine(w http.ResponseWriter, r *http.Request) (storage.Ticket, bool) {
	t, ok := c.loadTicket(w, r)
	if !ok {
		return t, false
	}
	if t.State != storage.TicketClaimed || t.Assignee != from(r).staff.ID {
		http.Error(w, "This conversation is not assigned to you. Take it from the queue first.", http.StatusConflict)
		return t, false
	}
	return t, true
}

const maxReply = 4096

// urgentPriority is the priority from which staff replies are sent as
// safety messages (2 urgent, 3 critical).
const urgentPriority = 2

func (c *Console) reply(w http.ResponseWriter, r *http.Request) {
	t, ok := c.mine(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		c.showTicket(w, r, false, "", "The reply is empty.")
		return
	}
	if n := utf8.RuneCountInString(text); n > maxReply {
		c.showTicket(w, r, false, "", "The reply is "+strconv.Itoa(n)+" characters; WhatsApp allows "+strconv.Itoa(maxReply)+".")
		return
	}
	c.send(w, r, t, chat.Text{Body: text}, "text", text)
}

func (c *Console) template(w http.ResponseWriter, r *http.Request) {
	t, ok := c.mine(w, r)
	if !ok {
		return
	}
	if c.cfg.FollowUp.Name == "" {
		c.showTicket(w, r, false, "", "No follow-up template is configured for this line.")
		return
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" {
		c.showTicket(w, r, false, "", "The template needs a short text to fill in.")
		return
	}
	if n := utf8.RuneCountInString(text); n > 1024 {
		c.showTicket(w, r, false, "", "The text is "+strconv.Itoa(n)+" characters; a template parameter allows 1024.")
		return
	}
	m := chat.Template{Name: c.cfg.FollowUp.Name, Language: c.cfg.FollowUp.Language, Body: []chat.Param{{Value: text}}}
	c.send(w, r, t, m, "template", text)
}

func (c *Console) send(w http.ResponseWriter, r *http.Request, t storage.Ticket, m chat.Outgoing, kind, body string) {
	p := from(r)
	to := chat.Address{Channel: t.Contact.Channel, Line: c.cfg.Line, Contact: t.Contact.Identifier}
	in := chat.Intent{Purpose: chat.PurposeCore, Staff: p.staff.ID}
	if t.Priority >= urgentPriority {
		// An urgent case may come from someone who never answered the
		// notice (urgent messages reach staff before consent): staff answer
		// under vital interest, which the consent guard records as such.
		in.Exemption = chat.ExemptSafety
	}
	ctx := chat.WithIntent(r.Context(), in)
	res, err := c.cfg.Sender.Send(ctx, to, m)
	if err != nil {
		c.log.Warn("console: send failed", "ticket", t.ID, "err", err)
		c.showTicket(w, r, false, "", "The message was not sent: "+sendProblem(err))
		return
	}
	if cur, err := c.cfg.Store.Tickets().Get(r.Context(), t.ID); err == nil && cur.Contact == (storage.ContactRef{}) {
		// The person was erased while the message went out: nothing of it
		// is kept. (A store-side refusal would also close the short gap
		// between this read and the record.)
		c.audit(r.Context(), p.staff.ID, "ticket.replied", t.ID, map[string]string{"kind": kind})
		http.Redirect(w, r, c.cfg.Prefix+"/t/"+t.ID+"?flash="+url.QueryEscape("Sent; the person's data has since been erased, so the message is not kept."), http.StatusSeeOther)
		return
	}
	now := c.cfg.Now()
	rec := storage.MessageRecord{ID: res.MessageID, Contact: t.Contact, Direction: storage.Outbound, Kind: kind,
		Body: body, Purpose: string(chat.PurposeCore), Staff: p.staff.ID, Status: storage.DeliverySent, StatusAt: now, At: now}
	if err := c.cfg.Store.Messages().Record(r.Context(), rec); err != nil && !errors.Is(err, storage.ErrConflict) {
		c.log.Error("console: recording a sent reply", "ticket", t.ID, "err", err)
	}
	c.audit(r.Context(), p.staff.ID, "ticket.replied", t.ID, map[string]string{"kind": kind})
	http.Redirect(w, r, c.cfg.Prefix+"/t/"+t.ID+"?flash="+url.QueryEscape("Sent."), http.StatusSeeOther)
}

// sendProblem turns a send error into words for staff. Errors here carry no
// personal data (the SDK's errors never do), but keep it short.
func sendProblem(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func (c *Console) note(w http.ResponseWriter, r *http.Request) {
	p := from(r)
	t, ok := c.loadTicket(w, r)
	if !ok {
		return
	}
	text := strings.TrimSpace(r.PostFormValue("text"))
	if text == "" || utf8.RuneCountInString(text) > 4000 {
		c.showTicket(w, r, false, "", "A note must have between 1 and 4000 characters.")
		return
	}
	t.Notes = append(t.Notes, storage.TicketNote{At: c.cfg.Now(), Author: p.staff.ID, Text: text})
	if _, err := c.cfg.Store.Tickets().Update(r.Context(), t, c.cfg.Now()); err != nil {
		c.conflictOrFail(w, r, err)
		return
	}
	c.audit(r.Context(), p.staff.ID, "ticket.noted", t.ID, nil)
	http.Redirect(w, r, c.cfg.Prefix+"/t/"+t.ID+"?flash="+url.QueryEscape("Note added."), http.StatusSeeOther)
}

func (c *Console) priority(w http.ResponseWriter, r *http.Request) {
	p := from(r)
	t, ok := c.loadTicket(w, r)
	if !ok {
		return
	}
	level := -1
	for i, n := range priorityNames {
		if n == r.PostFormValue("priority") {
			level = i
		}
	}
	if level < 0 {
		c.showTicket(w, r, false, "", "Choose a priority from the list.")
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if level != t.Priority && reason == "" {
		c.showTicket(w, r, false, "", "Changing a priority needs a reason; it is recorded.")
		return
	}
	if n := len(reason); n > maxPriorityReason {
		c.showTicket(w, r, false, "", fmt.Sprintf("The reason is %d bytes long; at most %d are kept. Shorten it.", n, maxPriorityReason))
		return
	}
	if level > t.Priority && level >= urgentPriority && !(t.State == storage.TicketClaimed && t.Assignee == p.staff.ID) {
		// An urgent conversation's replies go out as safety messages,
		// which pass consent: only the staff member holding it may make
		// it urgent.
		c.showTicket(w, r, false, "", "Take the conversation before making it urgent.")
		return
	}
	if err := c.cfg.Queue.SetPriority(r.Context(), t.ID, level, p.staff.ID, reason); err != nil {
		c.conflictOrFail(w, r, err)
		return
	}
	http.Redirect(w, r, c.cfg.Prefix+"/t/"+t.ID+"?flash="+url.QueryEscape("Priority is now "+priorityNames[level]+"."), http.StatusSeeOther)
}

func (c *Console) reveal(w http.ResponseWriter, r *http.Request) {
	t, ok := c.loadTicket(w, r)
	if !ok {
		return
	}
	c.audit(r.Context(), from(r).staff.ID, "contact.revealed", t.ID, nil)
	c.showTicket(w, r, true, "", "")
}

func (c *Console) close(w http.ResponseWriter, r *http.Request) {
	c.finish(w, r, "resolved", "Closed.")
}

func (c *Console) handback(w http.ResponseWriter, r *http.Request) {
	c.finish(w, r, "handed_back", "Handed back to the bot.")
}

func (c *Console) finish(w http.ResponseWriter, r *http.Request, outcome, flash string) {
	t, ok := c.mine(w, r)
	if !ok {
		return
	}
	if err := c.cfg.Queue.Close(r.Context(), t.ID, from(r).staff.ID, outcome); err != nil {
		c.conflictOrFail(w, r, err)
		return
	}
	http.Redirect(w, r, c.cfg.Prefix+"/?flash="+url.QueryEscape(flash), http.StatusSeeOther)
}

func (c *Console) conflictOrFail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, storage.ErrConflict) {
		c.showTicket(w, r, false, "", "Someone else changed this conversation at the same time. Check it and try again.")
		return
	}
	c.fail(w, r, err)
}

func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	c.log.Error("console: request failed", "path", r.URL.Path, "err", err)
	http.Error(w, "Something went wrong on our side. Try again; if it keeps happening, tell the line's administrator.", http.StatusInternalServerError)
}

func (c *Console) audit(ctx context.Context, actor, action, target string, detail map[string]string) {
	e := storage.AuditEntry{At: c.cfg.Now(), Actor: actor, Action: action, Target: target, Detail: detail}
	if err := c.cfg.Store.Audit().Append(ctx, e); err != nil {
		c.log.Error("console: audit", "action", action, "err", err)
	}
}
