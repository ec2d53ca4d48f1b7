package media

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits are the largest uploads accepted, in bytes, per family. Zero means the default.
type Limits struct {
	Image, Video, Audio, File int64
}

// DefaultLimits are the defaults; audio, which it does not name, gets 40 MB:
// about 40 minutes of 128 kbit/s MP3, a long meeting recording.
func DefaultLimits() Limits {
	return Limits{Image: 16 << 20, Video: 100 << 20, Audio: 40 << 20, File: 50 << 20}
}

// For is the limit for files of kind k. Kinds that are refused anyway get the file limit.
func (l Limits) For(k Kind) int64 {
	d := DefaultLimits()
	pick := func(v, def int64) int64 {
		if v > 0 {
			return v
		}
		return def
	}
	switch k.Family() {
	case FamilyImage:
		return pick(l.Image, d.Image)
	case FamilyVideo:
		return pick(l.Video, d.Video)
	case FamilyAudio:
		return pick(l.Audio, d.Audio)
	}
	return pick(l.File, d.File)
}

// ReadHead reads the first SniffLen bytes of r (fewer if r ends first) for Sniff or
// Detect, and returns a reader that yields the whole stream again, head included. It
// fails with ErrEmpty if r has no bytes, or with r's own error.
func ReadHead(r io.Reader) (head []byte, all io.Reader, err error) {
	head = make([]byte, SniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	if n == 0 {
		return nil, nil, ErrEmpty
	}
	head = head[:n]
	return head, io.MultiReader(bytes.NewReader(head), r), nil
}

// ReadAll reads r into memory, refusing more than limit bytes: it reads at most limit+1
// bytes, so an endless or huge upload costs no more than that. Errors: ErrEmpty,
// ErrTooLarge, or r's own error.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := Copy(&buf, r, limit); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Copy copies r to w, refusing more than limit bytes the same way as ReadAll. On
// ErrTooLarge, w has received limit+1 bytes: copy into a temporary file and remove
// it on any error, so nothing half-written is ever stored.
func Copy(w io.Writer, r io.Reader, limit int64) (int64, error) {
	n, err := io.Copy(w, io.LimitReader(r, limit+1))
	switch {
	case err != nil:
		return n, err
	case n > limit:
		return n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	case n == 0:
		return 0, ErrEmpty
	}
	return n, nil
}
