// Package blob stores media files by key, in a local directory or an
// S3-compatible bucket.
//
// Both implementations keep objects private: viewers never reach the storage
// directly, they get capability URLs (see package capurl) that the server
// checks before streaming an [Object] with http.ServeContent. That is why an
// Object seeks (Range requests for video) and carries its size, time and type.
//
// Keys are made by the server, never taken from a request, and are still
// checked strictly ([ValidateKey]) on every call: a bug that lets user input
// reach a key must not become a path traversal or an S3 key with surprises.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
)

// Errors returned by every Store. Callers map ErrNotFound to 404 and the
// others to a server error: they signal a bug in the caller, not bad user
// input, because keys, sizes and types all come from the server.
var (
	// ErrNotFound: no object is stored under the key.
	ErrNotFound = errors.New("blob: object not found")
	// ErrBadKey: the key is not one the server would make (see ValidateKey).
	ErrBadKey = errors.New("blob: invalid key")
	// ErrSizeMismatch: the reader given to Put yielded more or fewer bytes
	// than the declared size, or the size was negative.
	ErrSizeMismatch = errors.New("blob: content length does not match declared size")
	// ErrBadContentType: the content type given to Put is not a media type.
	ErrBadContentType = errors.New("blob: invalid content type")
)

// MaxKeyLen bounds keys well under the limits of file systems (255 per name)
// and S3 (1024 per key), leaving room for an S3 prefix.
const MaxKeyLen = 200

// defaultContentType is what an object reports when none was recorded; it
// makes browsers download rather than render.
const defaultContentType = "application/octet-stream"

// Store keeps objects by key. Implementations are safe for concurrent use.
type Store interface {
	// Put stores exactly size bytes read from r under key, replacing any
	// object already there. Readers see the old object or the new one, never
	// a mix; a Put that fails (reader error, ctx cancelled, r yielding more
	// or fewer than size bytes) leaves no new object behind.
	// Errors: ErrBadKey, ErrSizeMismatch, ErrBadContentType, the reader's
	// or context's error (wrapped), or a storage error.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open returns the object for reading; the caller must Close it.
	// Errors: ErrBadKey, ErrNotFound, or a storage error.
	Open(ctx context.Context, key string) (Object, error)
	// Stat describes the object without reading it.
	// Errors: ErrBadKey, ErrNotFound, or a storage error.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object. Deleting a missing key is not an error, so
	// cleanup jobs can be retried. Errors: ErrBadKey or a storage error.
	Delete(ctx context.Context, key string) error
}

// Object is an open stored object. It seeks so that http.ServeContent can
// answer Range requests.
type Object interface {
	io.ReadSeekCloser
	Size() int64
	ModTime() time.Time
	// ContentType is the type given to Put, or application/octet-stream when
	// none was recorded.
	ContentType() string
}

// Info describes a stored object.
type Info struct {
	Size        int64
	ModTime     time.Time
	ContentType string
}

// ValidateKey reports whether key is one the server may use: 1 to MaxKeyLen
// bytes of [a-z0-9/._-], slash-separated segments that are non-empty and do
// not start with a dot (so no "..", no hidden files, no leading or trailing
// slash). It returns nil or an error wrapping ErrBadKey.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: length %d", ErrBadKey, len(key))
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '/' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: byte %#x at %d", ErrBadKey, c, i)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		// Dot-led names are refused so that Local's temporary and hidden
		// files can never be addressed as keys, and ".." can never appear.
		if seg == "" || seg[0] == '.' {
			return fmt.Errorf("%w: segment %q", ErrBadKey, seg)
		}
	}
	if strings.Contains(key, "..") {
		return fmt.Errorf("%w: contains \"..\"", ErrBadKey)
	}
	return nil
}

// checkPut validates the arguments common to every Put and returns the
// content type to record.
func checkPut(key string, size int64, contentType string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if size < 0 {
		return "", fmt.Errorf("%w: negative size %d", ErrSizeMismatch, size)
	}
	return checkContentType(contentType)
}

// checkContentType returns the content type to record for contentType.
func checkContentType(contentType string) (string, error) {
	if contentType == "" {
		return defaultContentType, nil
	}
	// The type ends up in an HTTP header (S3 metadata, the served response):
	// refuse anything that is not a plain printable media type.
	if len(contentType) > 200 {
		return "", fmt.Errorf("%w: too long", ErrBadContentType)
	}
	for i := 0; i < len(contentType); i++ {
		if contentType[i] < 0x20 || contentType[i] > 0x7e {
			return "", fmt.Errorf("%w: byte %#x", ErrBadContentType, contentType[i])
		}
	}
	if _, _, err := mime.ParseMediaType(contentType); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadContentType, err)
	}
	return contentType, nil
}

// exactReader passes through exactly size bytes of r, failing with
// ErrSizeMismatch when r ends early or has more, and with the context's error
// once ctx is done. The error is sticky and kept in err, because some
// consumers (the S3 client) do not wrap the reader's error they return.
type exactReader struct {
	ctx    context.Context
	r      io.Reader
	remain int64
	probed bool
	err    error
}

func newExactReader(ctx context.Context, r io.Reader, size int64) *exactReader {
	return &exactReader{ctx: ctx, r: r, remain: size}
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if err := e.ctx.Err(); err != nil {
		e.err = err
		return 0, err
	}
	if e.remain == 0 {
		if err := e.probe(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.remain {
		p = p[:e.remain]
	}
	n, err := e.r.Read(p)
	e.remain -= int64(n)
	switch {
	case err != nil && err != io.EOF:
		e.err = fmt.Errorf("blob: reading content: %w", err)
		return 0, e.err
	case e.remain == 0:
		// Probe before handing over the last bytes, and withhold them if
		// the reader has more: a consumer that stops at the declared size
		// would otherwise never learn of it, and one using io.ReadFull
		// drops an error that comes with the bytes it asked for.
		if err := e.probe(); err != nil {
			return 0, err
		}
		return n, nil
	case err == io.EOF:
		e.err = fmt.Errorf("%w: reader ended %d bytes short", ErrSizeMismatch, e.remain)
		return n, e.err
	}
	return n, nil
}

// probe checks, once all declared bytes are read, that r has nothing more.
func (e *exactReader) probe() error {
	if e.probed {
		return nil
	}
	e.probed = true
	var b [1]byte
	m, err := io.ReadFull(e.r, b[:])
	switch {
	case m > 0:
		e.err = fmt.Errorf("%w: reader has more than declared", ErrSizeMismatch)
	case err != nil && err != io.EOF:
		e.err = fmt.Errorf("blob: reading content: %w", err)
	}
	return e.err
}
