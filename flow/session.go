package flow

import (
	"encoding/binary"
	"fmt"
)

// Session is where one person is in a conversation. It is small and plain:
// the engine reads one and returns the next, and the Runner stores it as
// bytes (MarshalBinary) in storage.Sessions.
type Session struct {
	Playbook string   // the playbook id
	Version  int      // the version the session runs on
	Node     string   // the question waiting for an answer; empty when ended
	Lang     string   // the language the conversation is in
	Back     []string // earlier questions, most recent last, for "back"
	Answer   string   // the last answer: a choice id or typed text (clipped)
	Retries  int      // wrong answers to the current question
	LastID   string   // id of the last message handled, to spot redeliveries
	Ended    bool     // the conversation ended; the next message starts over
	// Redo is where the person was before the step that handled LastID,
	// kept while that step's effects (fields, hand-off, replies) may not
	// have been carried out: the Runner saves a step before it carries out
	// its effects, so a process that dies in between leaves the saved step
	// without them. A redelivery of LastID is stepped again from Redo
	// instead of being taken as already handled. Nil when the step had no
	// effects; the Runner replaces it at the next message, whose delivery
	// means the step before it was done (chat.Server hands a person's
	// messages over one at a time, the next only once the last one is
	// settled). It never holds a Redo of its own.
	Redo *Session
}

// IsZero reports whether the session is new: no playbook started.
func (s Session) IsZero() bool { return s.Playbook == "" }

// sessionFormat is the version of the serialised form. Decoders accept
// every version up to this one. Version 2 added Redo; a session without
// one is still written as version 1, which earlier code reads. Code from
// before version 2 (a rollback, or an older replica during a deploy) does
// not read a session with a Redo: it logs it and starts that person over.
const sessionFormat = 2

// The flags of an encoded session: flagRedo marks one that ends with the
// session's Redo.
const (
	flagEnded = 1 << iota
	flagRedo
)

// Limits on what a session holds, so that it stays small.
const (
	maxAnswerBytes = 200
	maxIDBytes     = 128
	maxSessionSize = 4096
)

const sessionMagic = 'F'

// MarshalBinary encodes the session in the compact, versioned form stored
// by the Runner: a magic byte, the format version, then the fields as
// length-prefixed strings and varints.
func (s Session) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 64+len(s.Playbook)+len(s.Node)+len(s.Answer)+len(s.LastID)+16*len(s.Back))
	return s.AppendBinary(b)
}

// AppendBinary appends the encoded session to b.
func (s Session) AppendBinary(b []byte) ([]byte, error) {
	if s.Redo != nil && s.Redo.Redo != nil {
		return b, fmt.Errorf("%w: a session's Redo holds a Redo of its own", ErrBadSession)
	}
	format := byte(1)
	var flags uint64
	if s.Ended {
		flags |= flagEnded
	}
	if s.Redo != nil {
		format, flags = 2, flags|flagRedo
	}
	b = append(b, sessionMagic, format)
	b = binary.AppendUvarint(b, flags)
	b = appendString(b, s.Playbook)
	b = binary.AppendUvarint(b, uint64(max(s.Version, 0)))
	b = appendString(b, s.Node)
	b = appendString(b, s.Lang)
	b = appendString(b, clipBytes(s.Answer, maxAnswerBytes))
	b = binary.AppendUvarint(b, uint64(max(s.Retries, 0)))
	b = appendString(b, clipBytes(s.LastID, maxIDBytes))
	back := s.Back
	if len(back) > maxBackStack {
		back = back[len(back)-maxBackStack:]
	}
	b = binary.AppendUvarint(b, uint64(len(back)))
	for _, id := range back {
		b = appendString(b, id)
	}
	if s.Redo != nil {
		var err error
		if b, err = s.Redo.AppendBinary(b); err != nil {
			return b, err
		}
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// UnmarshalBinary decodes a session written by MarshalBinary (of this or
// an earlier format version). Bad data gives an error matching
// ErrBadSession.
func (s *Session) UnmarshalBinary(data []byte) error {
	if len(data) > maxSessionSize {
		return fmt.Errorf("%w: %d bytes is over the %d limit", ErrBadSession, len(data), maxSessionSize)
	}
	if len(data) < 2 || data[0] != sessionMagic {
		return fmt.Errorf("%w: not a session", ErrBadSession)
	}
	if data[1] == 0 || data[1] > sessionFormat {
		return fmt.Errorf("%w: format version %d is not known (this code reads up to %d)", ErrBadSession, data[1], sessionFormat)
	}
	d := decoder{b: data[2:]}
	var out Session
	flags := d.uvarint()
	if flags&^(flagEnded|flagRedo) != 0 || flags&flagRedo != 0 && data[1] < 2 {
		d.fail()
	}
	out.Ended = flags&flagEnded != 0
	out.Playbook = d.string()
	out.Version = d.int()
	out.Node = d.string()
	out.Lang = d.string()
	out.Answer = d.string()
	out.Retries = d.int()
	out.LastID = d.string()
	n := d.int()
	if n > maxBackStack {
		d.fail()
	}
	for i := 0; i < n && d.err == nil; i++ {
		out.Back = append(out.Back, d.string())
	}
	if d.err == nil && flags&flagRedo != 0 {
		// The rest is the Redo, whole, which may not hold one itself.
		redo := new(Session)
		if err := redo.UnmarshalBinary(d.b); err != nil || redo.Redo != nil {
			d.fail()
		}
		out.Redo, d.b = redo, nil
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	if d.err != nil {
		return fmt.Errorf("%w: truncated or malformed", ErrBadSession)
	}
	*s = out
	return nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err = ErrBadSession }

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int {
	v := d.uvarint()
	if v > 1<<31 {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
