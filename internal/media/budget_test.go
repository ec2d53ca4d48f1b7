package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// pngHeader is a PNG that declares w×h pixels of 16-bit grey and holds none: what a
// tiny upload can claim.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 16, 0 // 16-bit greyscale
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// An image whose pixels would take more memory than the whole decode budget is
// refused before decoding, whatever its file size (a 7000×7000 16-bit PNG compresses
// to 111 KB and decodes to 1.2 GB).
func TestDecodeBudgetRefusesHeavyImages(t *testing.T) {
	for _, side := range []uint32{7000, 6000} {
		_, err := CleanImage(bytes.NewReader(pngHeader(side, side)), 0)
		if !errors.Is(err, ErrDimensions) {
			t.Errorf("%d² 16-bit PNG: %v, want ErrDimensions", side, err)
		}
	}
	// Within the budget, the same header is merely corrupt (it holds no pixels), and
	// its share is given back: the whole budget can be taken again.
	if _, err := CleanImage(bytes.NewReader(pngHeader(2000, 2000)), 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("2000² 16-bit PNG without pixels: %v, want ErrCorrupt", err)
	}
	if !decoding.TryAcquire(DecodeBudget) {
		t.Fatal("a failed decode kept its share of the budget")
	}
	decoding.Release(DecodeBudget)
}
