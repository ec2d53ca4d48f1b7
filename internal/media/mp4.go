package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// VideoInfo is what the server shows before a video plays.
type VideoInfo struct {
	Duration time.Duration
	// Width and Height are the displayed size: Rotation already applied.
	Width, Height int
	// Rotation is the clockwise rotation (0, 90, 180, 270) the track matrix asks for;
	// players apply it, so the server only needs it to know the aspect ratio.
	Rotation           int
	HasVideo, HasAudio bool
}

const (
	maxBoxDepth   = 12
	maxBoxes      = 1 << 16
	maxTableBytes = 32 << 20 // sample tables of a 100 MB movie are a few MB
)

// xmpUUID is the extended type of the box Adobe tools write XMP into.
var xmpUUID = [16]byte{0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC}

type box struct {
	typ   string
	off   int64 // of the header
	hdr   int64 // header length: 8, 16 with a large size, plus 16 for a uuid
	size  int64 // the whole box
	large bool  // size is in the 64-bit field
	uuid  [16]byte
}

func (b box) payload() int64 { return b.off + b.hdr }
func (b box) end() int64     { return b.off + b.size }

// freePatch keeps b's size, renames it 'free' and zeroes everything after. Nothing else
// in the file moves, so stco/co64 chunk offsets stay right whether mdat comes before or
// after moov; shrinking moov would mean rewriting every chunk offset behind it, the one
// way to get this subtly wrong, to save a few hundred bytes.
func (b box) freePatch() patch {
	head := binary.BigEndian.AppendUint32(nil, uint32(b.size))
	if b.large {
		head = binary.BigEndian.AppendUint32(nil, 1)
	}
	head = append(head, "free"...)
	if b.large {
		head = binary.BigEndian.AppendUint64(head, uint64(b.size))
	}
	return patch{off: b.off, n: b.size, head: head}
}

type mp4Cleaner struct {
	r        io.ReaderAt
	size     int64
	boxes    int
	patches  []patch
	mdat     [][2]int64 // payload ranges of top-level mdat boxes
	dropped  []*trak    // tracks removed, whose samples must be zeroed
	info     VideoInfo
	fragment bool
}

type trak struct {
	handler       string
	width, height uint32 // 16.16
	rotation      int
	stsc          []byte
	stsz          []byte
	stz2          bool
	chunks        []byte
	co64          bool
}

// CleanMP4 copies an MP4 or QuickTime file (or an M4A) to w without its user metadata:
// udta, meta, Apple ©-atoms (location ©xyz among them), XMP and other vendor uuid boxes,
// and every track that is neither video nor sound (timed metadata such as GoPro or
// Apple location tracks, timecode, text), whose samples in mdat are zeroed too. The
// creation and modification times in mvhd, tkhd and mdhd are zeroed. Dropped boxes
// become 'free' boxes of the same size, see freePatch.
//
// Any caller may use it; r is read only. The whole box tree is checked before anything
// is written, so bad input returns ErrEmpty, ErrCorrupt (truncated, absurd sizes or
// nesting) or ErrUnsupported (not ISO-BMFF, compressed movie header, fragmented movie
// carrying a metadata track) with w untouched. An error while copying (w failing, or r
// shorter than size) can leave w partial: write to a temporary file, discard it on error.
func CleanMP4(r io.ReaderAt, size int64, w io.Writer) (VideoInfo, error) {
	if size == 0 {
		return VideoInfo{}, ErrEmpty
	}
	var head [64]byte
	n := min(int64(len(head)), size)
	if err := readAt(r, head[:n], 0); err != nil {
		return VideoInfo{}, err
	}
	if k := sniffISOBMFF(head[:n]); k != KindMP4 && k != KindM4A {
		return VideoInfo{}, fmt.Errorf("%w: not an MP4 or QuickTime file", ErrUnsupported)
	}
	c := &mp4Cleaner{r: r, size: size}
	if err := c.top(); err != nil {
		return VideoInfo{}, err
	}
	if len(c.dropped) > 0 && c.fragment {
		return VideoInfo{}, fmt.Errorf("%w: fragmented movie with a metadata track", ErrUnsupported)
	}
	for _, t := range c.dropped {
		if err := c.zeroSamples(t); err != nil {
			return VideoInfo{}, err
		}
	}
	if err := copyPatched(w, r, size, c.patches); err != nil {
		return VideoInfo{}, err
	}
	return c.info, nil
}

func (c *mp4Cleaner) drop(b box) { c.patches = append(c.patches, b.freePatch()) }

func (c *mp4Cleaner) box(off, limit int64, top bool) (box, error) {
	c.boxes++
	if c.boxes > maxBoxes {
		return box{}, corrupt("mp4: too many boxes")
	}
	if limit-off < 8 {
		return box{}, corrupt("mp4: box header cut at %d", off)
	}
	var h [16]byte
	if err := readAt(c.r, h[:8], off); err != nil {
		return box{}, err
	}
	b := box{typ: string(h[4:8]), off: off, hdr: 8, size: int64(binary.BigEndian.Uint32(h[:4]))}
	switch b.size {
	case 0:
		if !top {
			return box{}, corrupt("mp4: open-ended %q inside a box", b.typ)
		}
		b.size = limit - off
	case 1:
		if limit-off < 16 {
			return box{}, corrupt("mp4: large size cut at %d", off)
		}
		if err := readAt(c.r, h[8:16], off+8); err != nil {
			return box{}, err
		}
		u := binary.BigEndian.Uint64(h[8:16])
		if u > uint64(limit-off) {
			return box{}, corrupt("mp4: %q at %d runs past its parent", b.typ, off)
		}
		b.size, b.hdr, b.large = int64(u), 16, true
	}
	if b.typ == "uuid" {
		if err := readAt(c.r, b.uuid[:], off+b.hdr); err != nil {
			return box{}, err
		}
		b.hdr += 16
	}
	if b.size < b.hdr || b.size > limit-off {
		return box{}, corrupt("mp4: %q at %d has size %d", b.typ, off, b.size)
	}
	return b, nil
}

// children walks the boxes inside parent, calling fn on each.
func (c *mp4Cleaner) children(parent box, fn func(box) error) error {
	for off := parent.payload(); off < parent.end(); {
		b, err := c.box(off, parent.end(), false)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		off = b.end()
	}
	return nil
}

// personal reports the boxes that carry user data wherever they appear: user data,
// metadata, Apple ©-atoms, 3GPP location and asset boxes, Microsoft Xtra, XMP.
func personal(b box) bool {
	switch b.typ {
	case "udta", "meta", "Xtra", "loci", "ID32", "auth", "titl", "dscp", "cprt", "perf",
		"gnre", "yrrc", "albm", "kywd", "clsf", "rtng":
		return true
	case "uuid":
		return b.uuid == xmpUUID
	}
	return b.typ[0] == 0xA9 // '©' in Mac Roman
}

func (c *mp4Cleaner) top() error {
	var sawMoov bool
	for off := int64(0); off < c.size; {
		b, err := c.box(off, c.size, true)
		if err != nil {
			return err
		}
		switch b.typ {
		case "moov":
			if sawMoov {
				return corrupt("mp4: two movie boxes")
			}
			sawMoov = true
			err = c.moov(b)
		case "mdat":
			c.mdat = append(c.mdat, [2]int64{b.payload(), b.end()})
		case "moof", "mfra", "sidx", "styp", "emsg", "prft", "ssix":
			c.fragment = c.fragment || b.typ == "moof"
		case "ftyp", "free", "skip", "wide", "pnot":
		default:
			// Anything else at the top (meta, uuid, vendor boxes) is not needed to play.
			c.drop(b)
		}
		if err != nil {
			return err
		}
		off = b.end()
	}
	if !sawMoov {
		return corrupt("mp4: no movie box")
	}
	return nil
}

func (c *mp4Cleaner) moov(moov box) error {
	return c.children(moov, func(b box) error {
		switch b.typ {
		case "mvhd":
			return c.mvhd(b)
		case "trak":
			return c.trak(b)
		case "cmov":
			return fmt.Errorf("%w: compressed movie header", ErrUnsupported)
		case "mvex", "iods", "pssh", "ipmc", "free", "skip":
			return nil
		}
		c.drop(b) // udta, meta, uuid and the like
		return nil
	})
}

// times zeroes the creation and modification times of a full box laid out like mvhd,
// tkhd and mdhd, and returns its version and the offset of the field after them.
func (c *mp4Cleaner) times(b box) (version byte, next int64, err error) {
	var v [1]byte
	if b.size-b.hdr < 4 {
		return 0, 0, corrupt("mp4: short %q", b.typ)
	}
	if err := readAt(c.r, v[:], b.payload()); err != nil {
		return 0, 0, err
	}
	n := int64(8)
	if v[0] == 1 {
		n = 16
	}
	if b.size-b.hdr < 4+n {
		return 0, 0, corrupt("mp4: short %q", b.typ)
	}
	c.patches = append(c.patches, patch{off: b.payload() + 4, n: n})
	return v[0], b.payload() + 4 + n, nil
}

func (c *mp4Cleaner) mvhd(b box) error {
	v, off, err := c.times(b)
	if err != nil {
		return err
	}
	var f [12]byte
	n := 8
	if v == 1 {
		n = 12
	}
	if off+int64(n) > b.end() {
		return corrupt("mp4: short mvhd")
	}
	if err := readAt(c.r, f[:n], off); err != nil {
		return err
	}
	scale := uint64(binary.BigEndian.Uint32(f[:4]))
	var d uint64
	if v == 1 {
		d = binary.BigEndian.Uint64(f[4:12])
	} else {
		d = uint64(binary.BigEndian.Uint32(f[4:8]))
		if d == 0xFFFFFFFF {
			d = 0 // "unknown"
		}
	}
	// Seconds first, so a hostile duration cannot overflow; beyond a day is nonsense.
	if scale > 0 && d/scale < 24*3600 {
		c.info.Duration = time.Duration(d/scale)*time.Second +
			time.Duration(d%scale)*time.Second/time.Duration(scale)
	}
	return nil
}

func (c *mp4Cleaner) trak(tb box) error {
	t := &trak{}
	mark := len(c.patches)
	err := c.children(tb, func(b box) error {
		switch b.typ {
		case "tkhd":
			return c.tkhd(b, t)
		case "mdia":
			return c.mdia(b, t, 1)
		}
		if personal(b) {
			c.drop(b)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if t.handler != "vide" && t.handler != "soun" {
		// The whole track goes: what was patched inside it is covered by its free box.
		c.patches = c.patches[:mark]
		c.dropped = append(c.dropped, t)
		c.drop(tb)
		return nil
	}
	if t.handler == "soun" {
		c.info.HasAudio = true
	} else if !c.info.HasVideo {
		c.info.HasVideo = true
		c.info.Width, c.info.Height = int(t.width>>16), int(t.height>>16)
		c.info.Rotation = t.rotation
		if t.rotation == 90 || t.rotation == 270 {
			c.info.Width, c.info.Height = c.info.Height, c.info.Width
		}
	}
	return nil
}

func (c *mp4Cleaner) tkhd(b box, t *trak) error {
	v, off, err := c.times(b)
	if err != nil {
		return err
	}
	// track_ID, reserved, duration (4 or 8), reserved[2], layer, group, volume, reserved
	off += 8 + 4 + 8 + 8
	if v == 1 {
		off += 4
	}
	var m [44]byte // matrix, width, height
	if off+int64(len(m)) > b.end() {
		return corrupt("mp4: short tkhd")
	}
	if err := readAt(c.r, m[:], off); err != nil {
		return err
	}
	fix := func(i int) int32 { return int32(binary.BigEndian.Uint32(m[i*4:])) }
	a, bb, cc, d := fix(0), fix(1), fix(3), fix(4)
	switch {
	case a == 0 && bb == 0x10000 && cc == -0x10000 && d == 0:
		t.rotation = 90
	case a == -0x10000 && bb == 0 && cc == 0 && d == -0x10000:
		t.rotation = 180
	case a == 0 && bb == -0x10000 && cc == 0x10000 && d == 0:
		t.rotation = 270
	}
	t.width, t.height = binary.BigEndian.Uint32(m[36:]), binary.BigEndian.Uint32(m[40:])
	return nil
}

// mdia walks mdia, minf and stbl: the handler says what the track is, and the sample
// tables say where its samples are in case the track is dropped.
func (c *mp4Cleaner) mdia(parent box, t *trak, depth int) error {
	if depth > maxBoxDepth {
		return corrupt("mp4: nested too deep")
	}
	return c.children(parent, func(b box) error {
		var err error
		switch b.typ {
		case "minf", "stbl":
			return c.mdia(b, t, depth+1)
		case "mdhd":
			_, _, err = c.times(b)
		case "hdlr":
			var h [12]byte
			if b.size-b.hdr < 12 {
				return corrupt("mp4: short hdlr")
			}
			if err = readAt(c.r, h[:], b.payload()); err == nil {
				t.handler = string(h[8:12])
			}
		case "stsc":
			t.stsc, err = c.table(b)
		case "stsz", "stz2":
			t.stsz, err = c.table(b)
			t.stz2 = b.typ == "stz2"
		case "stco", "co64":
			t.chunks, err = c.table(b)
			t.co64 = b.typ == "co64"
		default:
			if personal(b) {
				c.drop(b)
			}
		}
		return err
	})
}

func (c *mp4Cleaner) table(b box) ([]byte, error) {
	n := b.size - b.hdr
	if n > maxTableBytes || n < 8 {
		return nil, corrupt("mp4: %q of %d bytes", b.typ, n)
	}
	p := make([]byte, n)
	return p, readAt(c.r, p, b.payload())
}
