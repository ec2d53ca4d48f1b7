package media

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of them, so the
// caller can pick the message to show with errors.Is or MessageKey; the wrapped detail is
// for logs.
var (
	// ErrEmpty: the file has no bytes at all.
	ErrEmpty = errors.New("media: empty file")
	// ErrTooLarge: the file is bigger than the limit for its kind.
	ErrTooLarge = errors.New("media: file too large")
	// ErrDimensions: an image declares more pixels (or frames) than we agree to decode.
	ErrDimensions = errors.New("media: image dimensions too large")
	// ErrUnsupported: the bytes are of a kind that may not be posted (HTML, SVG, XML,
	// unknown binary, an image format we cannot re-encode, a compressed movie header).
	ErrUnsupported = errors.New("media: unsupported file type")
	// ErrMismatch: the declared type or file extension says one thing, the bytes another.
	ErrMismatch = errors.New("media: file content does not match its type")
	// ErrCorrupt: the bytes start like a supported kind but are truncated or malformed.
	ErrCorrupt = errors.New("media: file is damaged")
	// ErrNoVideoTool: no ffmpeg on this host; the caller shows a generic poster.
	ErrNoVideoTool = errors.New("media: no video tool on this host")
)

// MismatchError is the ErrMismatch detail: what the client claimed and what the bytes are.
type MismatchError struct {
	Declared string // the client's type or file extension, as given
	Sniffed  Kind
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("media: declared %q but the content is %s", e.Declared, e.Sniffed)
}

func (e *MismatchError) Unwrap() error { return ErrMismatch }

// MessageKey suggests the i18n catalogue key for err, so every front door words the same
// failure the same way. It returns "" for errors that are not this package's (an I/O
// error of the caller's reader, for instance), which deserve the generic internal error.
func MessageKey(err error) string {
	for _, m := range []struct {
		err error
		key string
	}{
		{ErrEmpty, "error.media_empty"},
		{ErrTooLarge, "error.media_too_large"},
		{ErrDimensions, "error.media_dimensions"},
		{ErrUnsupported, "error.media_unsupported"},
		{ErrMismatch, "error.media_mismatch"},
		{ErrCorrupt, "error.media_corrupt"},
		{ErrNoVideoTool, "error.media_no_video_tool"},
	} {
		if errors.Is(err, m.err) {
			return m.key
		}
	}
	return ""
}

// corrupt wraps a decoder's complaint as ErrCorrupt, keeping its text for the log.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
