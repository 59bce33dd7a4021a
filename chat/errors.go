package chat

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (with errors.Is) by every validation error of this
// package, so callers can tell bad input from a failed send.
var ErrInvalid = errors.New("chat: invalid")

// FieldError says which field of a value is wrong and why. It matches
// ErrInvalid.
type FieldError struct {
	Field   string // dotted path, e.g. "choices.options[2].id"
	Problem string // e.g. "is empty", "repeats option id \"yes\""
}

// Error names the field and its problem.
func (e *FieldError) Error() string { return fmt.Sprintf("%s %s", e.Field, e.Problem) }

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }
