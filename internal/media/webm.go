package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"
)

// EBML element IDs (with their marker bits, as written in the file).
const (
	ebmlHeaderID    = 0x1A45DFA3
	ebmlDocTypeID   = 0x4282
	ebmlVoidID      = 0xEC
	ebmlCRCID       = 0xBF
	mkvSegmentID    = 0x18538067
	mkvSeekHeadID   = 0x114D9B74
	mkvInfoID       = 0x1549A966
	mkvTracksID     = 0x1654AE6B
	mkvClusterID    = 0x1F43B675
	mkvCuesID       = 0x1C53BB6B
	mkvTagsID       = 0x1254C367
	mkvAttachID     = 0x1941A469
	mkvChaptersID   = 0x1043A770
	mkvTimescaleID  = 0x2AD7B1
	mkvDurationID   = 0x4489
	mkvTitleID      = 0x7BA9
	mkvDateUTCID    = 0x4461
	mkvTrackEntryID = 0xAE
	mkvTrackTypeID  = 0x83
	mkvTrackNameID  = 0x536E
	mkvVideoID      = 0xE0
	mkvPixelWidthID = 0xB0
	mkvPixelHghtID  = 0xBA
)

const (
	maxEBMLDepth    = 8
	maxEBMLElements = 4 << 20
	ebmlUnknownSize = -1
)

// ebmlVint decodes a variable-length integer at b. For IDs the marker bit is kept (keep
// true); for sizes it is dropped, and an all-ones value means "unknown size".
func ebmlVint(b []byte, keep bool) (v int64, n int, ok bool) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false
	}
	n = 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > 8 || len(b) < n || keep && n > 4 {
		return 0, 0, false
	}
	v = int64(b[0])
	if !keep {
		v &= int64(0xff >> n)
	}
	allOnes := v == int64(0xff>>n)
	for _, c := range b[1:n] {
		v = v<<8 | int64(c)
		allOnes = allOnes && c == 0xff
	}
	if !keep && allOnes {
		return ebmlUnknownSize, n, true
	}
	return v, n, true
}

// sniffEBML finds the DocType in the EBML header: only WebM is a kind we accept;
// Matroska proper is not something browsers play.
func sniffEBML(head []byte) Kind {
	_, idLen, _ := ebmlVint(head, true)
	size, sLen, ok := ebmlVint(head[idLen:], false)
	if !ok || size < 0 {
		return KindUnknown
	}
	body := head[idLen+sLen:]
	if int64(len(body)) > size {
		body = body[:size]
	}
	for len(body) > 0 {
		id, n, ok := ebmlVint(body, true)
		if !ok {
			break
		}
		sz, m, ok := ebmlVint(body[n:], false)
		if !ok || sz < 0 || int64(len(body)-n-m) < sz {
			break
		}
		if id == ebmlDocTypeID {
			if string(body[n+m:n+m+int(sz)]) == "webm" {
				return KindWebM
			}
			return KindUnknown
		}
		body = body[n+m+int(sz):]
	}
	return KindUnknown
}

type ebmlElem struct {
	id          int64
	off         int64 // of the ID
	hdr         int64 // ID and size bytes
	size        int64 // payload, ebmlUnknownSize if unknown
	idLen, sLen int
}

func (e ebmlElem) end() int64 { return e.off + e.hdr + e.size }

// voidPatch turns e into a Void element of the same length with a zeroed payload.
func (e ebmlElem) voidPatch() patch {
	total := e.hdr + e.size
	l := min(8, e.idLen-1+e.sLen)
	head := make([]byte, 1+l)
	head[0] = ebmlVoidID
	payload := uint64(total - 1 - int64(l))
	var sz [8]byte
	binary.BigEndian.PutUint64(sz[:], payload)
	copy(head[1:], sz[8-l:])
	head[1] |= 0x80 >> (l - 1)
	return patch{off: e.off, n: total, head: head}
}

type webmCleaner struct {
	r        io.ReaderAt
	size     int64
	elements int
	patches  []patch
	info     VideoInfo
	scale    int64
	duration float64
}

func (c *webmCleaner) elem(off, limit int64) (ebmlElem, error) {
	var b [12]byte
	n := min(int64(len(b)), limit-off)
	if n < 2 {
		return ebmlElem{}, corrupt("webm: element header cut at %d", off)
	}
	if err := readAt(c.r, b[:n], off); err != nil {
		return ebmlElem{}, err
	}
	c.elements++
	if c.elements > maxEBMLElements {
		return ebmlElem{}, corrupt("webm: too many elements")
	}
	id, il, ok := ebmlVint(b[:n], true)
	if !ok {
		return ebmlElem{}, corrupt("webm: bad element id at %d", off)
	}
	sz, sl, ok := ebmlVint(b[il:n], false)
	if !ok {
		return ebmlElem{}, corrupt("webm: bad element size at %d", off)
	}
	e := ebmlElem{id: id, off: off, hdr: int64(il + sl), size: sz, idLen: il, sLen: sl}
	if sz != ebmlUnknownSize && (sz > limit-off-e.hdr) {
		return ebmlElem{}, corrupt("webm: element at %d runs past its parent", off)
	}
	return e, nil
}

// CleanWebM copies a WebM file to w without its user metadata: Tags, Attachments, the
// segment Title and DateUTC and track names become Void elements of the same length,
// payload zeroed, so the cluster and cue positions stay valid. It returns the duration
// and the first video track's size. Any caller may use it; r is read only.
//
// The file is walked completely before anything is written, so a malformed file returns
// ErrEmpty, ErrCorrupt or ErrUnsupported (Matroska that is not WebM) with w untouched.
// An error while copying (w failing, or r shorter than size) can leave w partial: write
// to a temporary file and discard it on error.
func CleanWebM(r io.ReaderAt, size int64, w io.Writer) (VideoInfo, error) {
	if size == 0 {
		return VideoInfo{}, ErrEmpty
	}
	head := make([]byte, min(size, SniffLen))
	if err := readAt(r, head, 0); err != nil {
		return VideoInfo{}, err
	}
	if Sniff(head) != KindWebM {
		return VideoInfo{}, fmt.Errorf("%w: not a WebM file", ErrUnsupported)
	}
	c := &webmCleaner{r: r, size: size, scale: 1000000}
	sawSegment := false
	for off := int64(0); off < size; {
		e, err := c.elem(off, size)
		if err != nil {
			return VideoInfo{}, err
		}
		if e.id == mkvSegmentID {
			sawSegment = true
			if e.size == ebmlUnknownSize {
				e.size = size - off - e.hdr
			}
			if err := c.segment(e); err != nil {
				return VideoInfo{}, err
			}
		} else if e.size == ebmlUnknownSize || e.id != ebmlHeaderID && e.id != ebmlVoidID {
			return VideoInfo{}, corrupt("webm: unexpected top-level element %x", e.id)
		}
		off = e.end()
	}
	if !sawSegment {
		return VideoInfo{}, corrupt("webm: no segment")
	}
	c.info.Duration = time.Duration(c.duration * float64(c.scale))
	if err := copyPatched(w, r, size, c.patches); err != nil {
		return VideoInfo{}, err
	}
	return c.info, nil
}

func (c *webmCleaner) segment(seg ebmlElem) error {
	for off := seg.off + seg.hdr; off < seg.end(); {
		e, err := c.elem(off, seg.end())
		if err != nil {
			return err
		}
		if e.size == ebmlUnknownSize {
			if e.id != mkvClusterID {
				return corrupt("webm: unknown size for element %x", e.id)
			}
			if e.size, err = c.clusterSize(e, seg.end()); err != nil {
				return err
			}
		}
		switch e.id {
		case mkvTagsID, mkvAttachID:
			c.patches = append(c.patches, e.voidPatch())
		case mkvInfoID:
			err = c.children(e, 1, c.infoChild)
		case mkvTracksID:
			err = c.children(e, 1, c.tracksChild)
		}
		if err != nil {
			return err
		}
		off = e.end()
	}
	return nil
}

// clusterSize finds where a cluster written without a size ends (live recorders such as
// a browser's MediaRecorder do this): at the first element that cannot be its child.
func (c *webmCleaner) clusterSize(cl ebmlElem, limit int64) (int64, error) {
	off := cl.off + cl.hdr
	for off < limit {
		e, err := c.elem(off, limit)
		if err != nil {
			return 0, err
		}
		switch e.id {
		case 0xE7, 0x5854, 0xA7, 0xAB, 0xA3, 0xA0, 0xAF, ebmlVoidID, ebmlCRCID:
		default:
			return off - cl.off - cl.hdr, nil
		}
		if e.size == ebmlUnknownSize {
			return 0, corrupt("webm: unknown size inside a cluster")
		}
		off = e.end()
	}
	return off - cl.off - cl.hdr, nil
}

func (c *webmCleaner) children(parent ebmlElem, depth int, fn func(ebmlElem, int) error) error {
	if depth > maxEBMLDepth {
		return corrupt("webm: nested too deep")
	}
	for off := parent.off + parent.hdr; off < parent.end(); {
		e, err := c.elem(off, parent.end())
		if err != nil {
			return err
		}
		if e.size == ebmlUnknownSize {
			return corrupt("webm: unknown size for element %x", e.id)
		}
		if err := fn(e, depth+1); err != nil {
			return err
		}
		off = e.end()
	}
	return nil
}

func (c *webmCleaner) infoChild(e ebmlElem, _ int) error {
	switch e.id {
	case mkvTitleID, mkvDateUTCID:
		c.patches = append(c.patches, e.voidPatch())
	case mkvTimescaleID:
		v, err := c.uint(e)
		if err != nil {
			return err
		}
		if v > 0 && v <= 1e9 {
			c.scale = int64(v)
		}
	case mkvDurationID:
		b, err := c.payload(e, 8)
		if err != nil {
			return err
		}
		switch len(b) {
		case 4:
			c.duration = float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
		case 8:
			c.duration = math.Float64frombits(binary.BigEndian.Uint64(b))
		}
		// A day of video is far more than any post: anything beyond is nonsense.
		if math.IsNaN(c.duration) || c.duration < 0 || c.duration*float64(c.scale) > float64(24*time.Hour) {
			c.duration = 0
		}
	}
	return nil
}

func (c *webmCleaner) tracksChild(e ebmlElem, depth int) error {
	if e.id != mkvTrackEntryID {
		return nil
	}
	var typ uint64
	var w, h uint64
	err := c.children(e, depth, func(f ebmlElem, depth int) error {
		var err error
		switch f.id {
		case mkvTrackNameID:
			c.patches = append(c.patches, f.voidPatch())
		case mkvTrackTypeID:
			typ, err = c.uint(f)
		case mkvVideoID:
			err = c.children(f, depth, func(g ebmlElem, _ int) error {
				var err error
				switch g.id {
				case mkvPixelWidthID:
					w, err = c.uint(g)
				case mkvPixelHghtID:
					h, err = c.uint(g)
				}
				return err
			})
		}
		return err
	})
	if err != nil {
		return err
	}
	switch typ {
	case 1:
		if !c.info.HasVideo && w <= 1<<16 && h <= 1<<16 {
			c.info.Width, c.info.Height = int(w), int(h)
		}
		c.info.HasVideo = true
	case 2:
		c.info.HasAudio = true
	}
	return nil
}

func (c *webmCleaner) payload(e ebmlElem, max int64) ([]byte, error) {
	if e.size > max {
		return nil, corrupt("webm: element %x too long", e.id)
	}
	b := make([]byte, e.size)
	return b, readAt(c.r, b, e.off+e.hdr)
}

func (c *webmCleaner) uint(e ebmlElem) (uint64, error) {
	b, err := c.payload(e, 8)
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v, err
}
