package media

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// patch replaces the n bytes at off with head followed by zeros. Both container
// cleaners blank what they drop in place instead of cutting it out: every offset in the
// file (MP4 chunk offsets, WebM seek and cue positions) stays valid with no rewriting.
type patch struct {
	off, n int64
	head   []byte
}

// copyPatched streams r[0:size) to w with the patches applied. Patches may overlap only
// where both are plain zeroing (two tracks claiming the same bytes); the earlier wins.
func copyPatched(w io.Writer, r io.ReaderAt, size int64, patches []patch) error {
	slices.SortFunc(patches, func(a, b patch) int {
		switch {
		case a.off < b.off:
			return -1
		case a.off > b.off:
			return 1
		}
		return 0
	})
	var zeros [32 << 10]byte
	pos := int64(0)
	for _, p := range patches {
		if p.off < pos {
			if len(p.head) > 0 {
				return fmt.Errorf("%w: overlapping metadata", ErrCorrupt)
			}
			p.n -= pos - p.off
			p.off = pos
			if p.n <= 0 {
				continue
			}
		}
		if err := copyRange(w, r, pos, p.off-pos); err != nil {
			return err
		}
		if _, err := w.Write(p.head); err != nil {
			return err
		}
		for left := p.n - int64(len(p.head)); left > 0; {
			k := min(left, int64(len(zeros)))
			if _, err := w.Write(zeros[:k]); err != nil {
				return err
			}
			left -= k
		}
		pos = p.off + p.n
	}
	return copyRange(w, r, pos, size-pos)
}

func copyRange(w io.Writer, r io.ReaderAt, off, n int64) error {
	if n <= 0 {
		return nil
	}
	got, err := io.Copy(w, io.NewSectionReader(r, off, n))
	if err == nil && got < n {
		err = io.ErrUnexpectedEOF
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: file shorter than its size", ErrCorrupt)
	}
	return err
}

// readAt reads exactly len(b) bytes at off, reporting a short file as ErrCorrupt.
func readAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated at byte %d", ErrCorrupt, off+int64(n))
	}
	return err
}
