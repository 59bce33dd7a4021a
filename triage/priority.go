package triage

import (
	"fmt"
	"strings"
)

// Priority says how soon a person on staff must answer. It is stored in
// storage.Ticket.Priority as its integer value: higher is served first.
type Priority int

// The priorities, lowest first.
const (
	Routine  Priority = iota // office hours, procedures, partner services
	Elevated                 // a request for a person, unreadable media, fraud reports
	Urgent                   // violence, abuse, detention, trafficking, a child at risk
	Critical                 // immediate danger to life: self-harm with means, medical emergency
)

var priorityNames = [...]string{"routine", "elevated", "urgent", "critical"}

// String returns the lower-case name of p.
func (p Priority) String() string {
	if p < Routine || p > Critical {
		return fmt.Sprintf("priority(%d)", int(p))
	}
	return priorityNames[p]
}

// Valid reports whether p is one of the four priorities.
func (p Priority) Valid() bool { return p >= Routine && p <= Critical }

// ParsePriority reads a priority name.
func ParsePriority(s string) (Priority, error) {
	for i, n := range priorityNames {
		if strings.EqualFold(s, n) {
			return Priority(i), nil
		}
	}
	return 0, fmt.Errorf("priority %q is not one of routine, elevated, urgent, critical", s)
}

// Category is why a message needs attention. Lexicon files name one; rule
// ids and tickets carry it, never the text that matched.
type Category string

// The categories the seed lexicons and the screen know. Lexicons may name
// others if they give a priority.
const (
	SelfHarm          Category = "self_harm"
	Violence          Category = "violence"
	SexualViolence    Category = "sexual_violence"
	Medical           Category = "medical"
	Trafficking       Category = "trafficking"
	ChildAtRisk       Category = "child_at_risk"
	Detention         Category = "detention"
	Distress          Category = "distress"
	Fraud             Category = "fraud"
	Impersonation     Category = "impersonation"
	AccountCompromise Category = "account_compromise"
	HumanRequest      Category = "human_request"
	UnreadableMedia   Category = "unreadable_media"
	DetectorFailure   Category = "detector_failure"

	// Control words. Consent acts on them; the screen only needs to know
	// them so that they still reach consent while a conversation is with a
	// person.
	OptOut       Category = "opt_out"
	EraseRequest Category = "erase_request"
	Rejoin       Category = "rejoin"
	MyData       Category = "my_data"
)

// categoryInfo is the default priority and queue of a known category.
type categoryInfo struct {
	priority Priority
	queue    string
	control  bool
}

// The queues tickets go to unless a lexicon or rule says otherwise.
const (
	QueueProtection = "protection"
	QueueFraud      = "fraud"
	QueueSecurity   = "security"
	QueueGeneral    = "general"
)

var categories = map[Category]categoryInfo{
	SelfHarm:          {Critical, QueueProtection, false},
	Medical:           {Critical, QueueProtection, false},
	Violence:          {Urgent, QueueProtection, false},
	SexualViolence:    {Urgent, QueueProtection, false},
	Trafficking:       {Urgent, QueueProtection, false},
	ChildAtRisk:       {Urgent, QueueProtection, false},
	Detention:         {Urgent, QueueProtection, false},
	Distress:          {Urgent, QueueProtection, false},
	Fraud:             {Elevated, QueueFraud, false},
	Impersonation:     {Elevated, QueueFraud, false},
	AccountCompromise: {Elevated, QueueSecurity, false},
	HumanRequest:      {Elevated, QueueGeneral, false},
	UnreadableMedia:   {Elevated, QueueGeneral, false},
	DetectorFailure:   {Elevated, QueueGeneral, false},
	OptOut:            {Routine, "", true},
	EraseRequest:      {Routine, "", true},
	Rejoin:            {Routine, "", true},
	MyData:            {Routine, "", true},
}

// Control reports whether c is a control-word category (opt-out, erasure,
// re-joining, a copy of my data), which consent acts on.
func (c Category) Control() bool { return categories[c].control }
