// Package ruche is Ruche's domain: the types, errors, rules and use cases that every front
// door (web UI, client API, federation) shares, and the small store interface they need.
// It imports no front door and no database driver.
package ruche

import (
	"errors"
	"fmt"
)

// Code classifies an error so each front door can pick its status (HTTP 404, 409, …)
// without knowing where the error came from.
type Code int

// The error codes. CodeInternal is the zero-risk default: its detail is logged, never shown.
const (
	CodeInternal Code = iota
	CodeInvalid
	CodeNotFound
	CodeConflict
	CodeUnauthenticated
	CodeForbidden
	CodeRateLimited
	CodeUnavailable // a dependency (a partner, the database) failed for now: try again later
)

// Error is a failure that is safe to show: Key names a message in the catalogue (web/locales)
// and Args fill it. Err, when set, is the underlying cause for the log only.
type Error struct {
	Code Code
	Key  string
	Args []any
	Err  error
}

func (e *Error) Error() string {
	msg := e.Key
	if len(e.Args) > 0 {
		msg += fmt.Sprint(e.Args)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a catalogue key and its arguments.
func Errorf(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

// Sentinel errors returned by the store; wrap or compare with errors.Is.
var (
	ErrNotFound = Errorf(CodeNotFound, "error.not_found")
	ErrConflict = Errorf(CodeConflict, "error.conflict")
)

// Is lets errors.Is(err, ErrNotFound) match any not-found Error, whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return (t == ErrNotFound || t == ErrConflict) && e.Code == t.Code
}

// HTTPStatus is the status every front door answers an error of this code with; the
// codes are HTTP's own families, so pages and both JSON APIs agree.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeInvalid:
		return 422
	case CodeNotFound:
		return 404
	case CodeConflict:
		return 409
	case CodeUnauthenticated:
		return 401
	case CodeForbidden:
		return 403
	case CodeRateLimited:
		return 429
	case CodeUnavailable:
		return 503
	}
	return 500
}

// ErrorCode returns the Code of err, CodeInternal for anything that is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
