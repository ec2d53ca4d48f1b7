package media

import (
	"encoding/binary"
	"math"
)

// sampleSizes reads stsz or stz2: the size of sample i, and how many there are.
type sampleSizes struct {
	fixed int64
	count int64
	field int // bits per entry in the table; 0 if every sample is fixed bytes
	table []byte
}

func (t *trak) sizes() (sampleSizes, error) {
	b := t.stsz
	if len(b) < 12 {
		return sampleSizes{}, corrupt("mp4: short sample size table")
	}
	s := sampleSizes{count: int64(binary.BigEndian.Uint32(b[8:])), table: b[12:]}
	if t.stz2 {
		s.field = int(b[7])
		if s.field != 4 && s.field != 8 && s.field != 16 {
			return sampleSizes{}, corrupt("mp4: stz2 field size %d", s.field)
		}
	} else if s.fixed = int64(binary.BigEndian.Uint32(b[4:])); s.fixed == 0 {
		s.field = 32
	}
	if s.field > 0 && s.count*int64(s.field) > int64(len(s.table))*8 {
		return sampleSizes{}, corrupt("mp4: sample size table shorter than its count")
	}
	return s, nil
}

func (s sampleSizes) at(i int64) int64 {
	switch s.field {
	case 0:
		return s.fixed
	case 4:
		v := s.table[i/2]
		if i%2 == 0 {
			return int64(v >> 4)
		}
		return int64(v & 0xf)
	case 8:
		return int64(s.table[i])
	case 16:
		return int64(binary.BigEndian.Uint16(s.table[i*2:]))
	}
	return int64(binary.BigEndian.Uint32(s.table[i*4:]))
}

// zeroSamples blanks the bytes of a dropped track's samples, found through its chunk
// offsets, sample-to-chunk and sample size tables. A sample outside every mdat is
// refused: zeroing it could hit a box header, and a file like that is not one we made.
func (c *mp4Cleaner) zeroSamples(t *trak) error {
	if len(t.chunks) == 0 {
		return nil // an empty track: no samples anywhere
	}
	if len(t.chunks) < 8 || len(t.stsc) < 8 || len(t.stsz) == 0 {
		return corrupt("mp4: track without sample tables")
	}
	width := int64(4)
	if t.co64 {
		width = 8
	}
	nChunks := int64(binary.BigEndian.Uint32(t.chunks[4:]))
	if nChunks*width > int64(len(t.chunks)-8) {
		return corrupt("mp4: chunk table shorter than its count")
	}
	nStsc := int64(binary.BigEndian.Uint32(t.stsc[4:]))
	if nStsc*12 > int64(len(t.stsc)-8) {
		return corrupt("mp4: sample-to-chunk table shorter than its count")
	}
	sizes, err := t.sizes()
	if err != nil {
		return err
	}
	stsc := func(i int64) (first, perChunk int64) {
		e := t.stsc[8+i*12:]
		return int64(binary.BigEndian.Uint32(e)), int64(binary.BigEndian.Uint32(e[4:]))
	}
	var e, sample int64
	for ci := int64(0); ci < nChunks && sample < sizes.count; ci++ {
		for e+1 < nStsc {
			if first, _ := stsc(e + 1); first > ci+1 {
				break
			}
			e++
		}
		var per int64
		if nStsc > 0 {
			if first, p := stsc(e); first <= ci+1 {
				per = min(p, sizes.count-sample)
			}
		}
		var n int64
		if sizes.field == 0 {
			if sizes.fixed > 0 && per > math.MaxInt64/sizes.fixed {
				return corrupt("mp4: chunk size overflows")
			}
			n = per * sizes.fixed
		} else {
			for i := sample; i < sample+per; i++ {
				n += sizes.at(i) // at most 2^32 per sample, 2^23 samples: no overflow
			}
		}
		sample += per
		var off int64
		if t.co64 {
			u := binary.BigEndian.Uint64(t.chunks[8+ci*8:])
			if u > math.MaxInt64 {
				return corrupt("mp4: chunk offset overflows")
			}
			off = int64(u)
		} else {
			off = int64(binary.BigEndian.Uint32(t.chunks[8+ci*4:]))
		}
		if n == 0 {
			continue
		}
		if !c.inMdat(off, n) {
			return corrupt("mp4: samples at %d+%d outside the media data", off, n)
		}
		if l := len(c.patches) - 1; l >= 0 && c.patches[l].head == nil && c.patches[l].off+c.patches[l].n == off {
			c.patches[l].n += n
		} else {
			c.patches = append(c.patches, patch{off: off, n: n})
		}
	}
	return nil
}

func (c *mp4Cleaner) inMdat(off, n int64) bool {
	for _, m := range c.mdat {
		if off >= m[0] && n <= m[1]-off {
			return true
		}
	}
	return false
}
