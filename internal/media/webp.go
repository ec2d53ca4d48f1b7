package media

import (
	"encoding/binary"
	"fmt"
)

// checkWebP looks inside a WebP before x/image/webp decodes it. DecodeConfig reports
// the VP8X canvas, but the decoder allocates by the size in the VP8 or VP8L bitstream,
// which may be far larger (up to 16384×16384): that is checked here. Animated WebP, which
// x/image/webp cannot decode, is refused as unsupported rather than damaged.
func (o ImageOptions) checkWebP(b []byte) error {
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return nil // the decoder reports the truncation
		}
		p := b[i+8 : i+8+n]
		var w, h int
		switch string(b[i : i+4]) {
		case "VP8X":
			if len(p) > 0 && p[0]&0x02 != 0 {
				return fmt.Errorf("%w: animated WebP", ErrUnsupported)
			}
		case "ANIM", "ANMF":
			return fmt.Errorf("%w: animated WebP", ErrUnsupported)
		case "VP8L":
			if len(p) >= 5 && p[0] == 0x2f {
				v := binary.LittleEndian.Uint32(p[1:])
				w, h = int(v&0x3fff)+1, int(v>>14&0x3fff)+1
			}
		case "VP8 ":
			if len(p) >= 10 {
				w, h = int(binary.LittleEndian.Uint16(p[6:])&0x3fff), int(binary.LittleEndian.Uint16(p[8:])&0x3fff)
			}
		}
		if int64(w)*int64(h) > o.MaxPixels {
			return fmt.Errorf("%w: WebP bitstream of %dx%d", ErrDimensions, w, h)
		}
		i += 8 + n + n&1
	}
	return nil
}
