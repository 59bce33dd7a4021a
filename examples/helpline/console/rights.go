package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/impactchat/impactchat/consent"
)

// Rights requests (GDPR Art. 12, 15, 17): what people asked for with MY DATA
// or DELETE that staff must complete, each with its one-month due date. A
// copy is prepared here as a JSON file for the staff member to check (staff
// notes are flagged for review) and deliver by a route where the person's
// identity is checked first, never into the chat.

type rightsRow struct {
	Event     string
	Person    string
	Kind      string
	Requested time.Time
	Due       time.Time
	Overdue   bool
	Extended  bool
	Held      bool
	Copy      bool // a copy to prepare (not an erasure)
	CanExtend bool // within the first month and not extended yet
}

func (c *Console) requests(w http.ResponseWriter, r *http.Request) {
	c.showRequests(w, r, r.URL.Query().Get("flash"), "", http.StatusOK)
}

func (c *Console) showRequests(w http.ResponseWriter, r *http.Request, flash, problem string, status int) {
	p := from(r)
	reqs, err := c.cfg.Rights.OpenRequests(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	now := c.cfg.Now()
	rows := make([]rightsRow, 0, len(reqs))
	for _, q := range reqs {
		row := rightsRow{Event: q.Event, Person: "Person " + shortID(q.Subject, q.Event), Requested: q.RequestedAt,
			Due: q.DueAt, Overdue: now.After(q.DueAt), Extended: q.Extended, Held: q.Held,
			Copy:      q.Type == consent.EventExportRequested,
			CanExtend: !q.Extended && now.Before(q.RequestedAt.AddDate(0, 1, 0))}
		row.Kind = "A copy of their data"
		if !row.Copy {
			row.Kind = "Erasure of their data"
		}
		rows = append(rows, row)
	}
	c.render(w, "requests.html", status, page{Title: "Requests", CSRF: c.sign.csrf(p.se), Staff: p.staff.Name,
		Flash: flash, Error: problem, Data: rows})
}

// openRequest finds the open request named in the path.
func (c *Console) openRequest(w http.ResponseWriter, r *http.Request) (consent.RightsRequest, bool) {
	reqs, err := c.cfg.Rights.OpenRequests(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return consent.RightsRequest{}, false
	}
	for _, q := range reqs {
		if q.Event == r.PathValue("event") {
			return q, true
		}
	}
	c.showRequests(w, r, "", "That request is no longer open: someone may have completed it. Check the list.", http.StatusConflict)
	return consent.RightsRequest{}, false
}

// exportRequest prepares the copy a person asked for, records that it was
// made (which completes the request) and sends it to the browser as a file.
func (c *Console) exportRequest(w http.ResponseWriter, r *http.Request) {
	p := from(r)
	q, ok := c.openRequest(w, r)
	if !ok {
		return
	}
	if q.Type != consent.EventExportRequested {
		c.showRequests(w, r, "", "An erasure is not completed here: it runs when its hold is released.", http.StatusConflict)
		return
	}
	e, err := c.cfg.Rights.Export(r.Context(), q.Contact, consent.Request{Actor: consent.StaffActor(p.staff.ID), Method: "staff:console"})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.audit(r.Context(), p.staff.ID, "rights.exported", q.Subject, map[string]string{"request": q.Event})
	body, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		c.fail(w, r, err)
		return
	}
	name := "copy-" + shortID(q.Subject, q.Event) + "-" + c.cfg.Now().UTC().Format("20060102") + ".json"
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(append(body, '\n'))
}

const maxReason = 300

// extendRequest gives a request two more months, with the reason recorded.
func (c *Console) extendRequest(w http.ResponseWriter, r *http.Request) {
	p := from(r)
	q, ok := c.openRequest(w, r)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case reason == "":
		c.showRequests(w, r, "", "Extending a deadline needs a reason; it is recorded, and the person must be told within the first month.", http.StatusUnprocessableEntity)
		return
	case utf8.RuneCountInString(reason) > maxReason:
		c.showRequests(w, r, "", "The reason is too long: at most 300 characters.", http.StatusUnprocessableEntity)
		return
	}
	if err := c.cfg.Rights.ExtendRequest(r.Context(), q, consent.StaffActor(p.staff.ID), reason); err != nil {
		if errors.Is(err, consent.ErrNotExtendable) {
			c.showRequests(w, r, "", "This deadline cannot be extended: it was extended already, or its first month has passed.", http.StatusConflict)
			return
		}
		c.fail(w, r, err)
		return
	}
	c.audit(r.Context(), p.staff.ID, "rights.extended", q.Subject, map[string]string{"request": q.Event})
	http.Redirect(w, r, c.cfg.Prefix+"/requests?flash="+url.QueryEscape("The deadline is now "+q.RequestedAt.AddDate(0, 3, 0).Format(time.DateOnly)+". Tell the person."), http.StatusSeeOther)
}
