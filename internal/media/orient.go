package media

import (
	"bytes"
	"encoding/binary"
	"image"
)

// The EXIF readers below look for one thing, the Orientation tag, and give up (answer
// 1, "as stored") on anything odd: a wrong answer only turns a picture sideways, and
// every read is bounded by the slice it was handed.

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF-structured EXIF block.
func exifOrientation(tiff []byte) int {
	tiff = bytes.TrimPrefix(tiff, []byte("Exif\x00\x00"))
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int64(bo.Uint32(tiff[4:]))
	if ifd < 8 || ifd+2 > int64(len(tiff)) {
		return 1
	}
	n := int64(bo.Uint16(tiff[ifd:]))
	for i := int64(0); i < n; i++ {
		e := ifd + 2 + i*12
		if e+12 > int64(len(tiff)) {
			return 1
		}
		if bo.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		// SHORT, count 1: the value sits in the first two bytes of the value field.
		if bo.Uint16(tiff[e+2:]) != 3 || bo.Uint32(tiff[e+4:]) != 1 {
			return 1
		}
		if o := int(bo.Uint16(tiff[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}

// jpegOrientation finds the EXIF APP1 segment among the segments before the scan.
func jpegOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return 1
	}
	for i, segs := 2, 0; i+4 <= len(b) && segs < 256; segs++ {
		if b[i] != 0xff {
			return 1
		}
		m := b[i+1]
		switch {
		case m == 0xff: // fill byte
			i++
			continue
		case m == 0xda || m == 0xd9: // start of scan, end of image: no more headers
			return 1
		case m >= 0xd0 && m <= 0xd7 || m == 0x01:
			i += 2
			continue
		}
		l := int(binary.BigEndian.Uint16(b[i+2:]))
		if l < 2 || i+2+l > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+l]
		if m == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return exifOrientation(seg)
		}
		i += 2 + l
	}
	return 1
}

// webpOrientation reads the EXIF chunk of an extended (VP8X) WebP.
func webpOrientation(b []byte) int {
	if len(b) < 12 {
		return 1
	}
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || n > len(b)-i-8 {
			return 1
		}
		if string(b[i:i+4]) == "EXIF" {
			return exifOrientation(b[i+8 : i+8+n])
		}
		i += 8 + n + n&1
	}
	return 1
}

// pngOrientation reads the eXIf chunk, which browsers honour as they do JPEG's EXIF.
func pngOrientation(b []byte) int {
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 0 || n > len(b)-i-12 {
			return 1
		}
		switch string(b[i+4 : i+8]) {
		case "eXIf":
			return exifOrientation(b[i+8 : i+8+n])
		case "IDAT", "IEND":
			return 1
		}
		i += 12 + n
	}
	return 1
}

func orientationOf(k Kind, b []byte) int {
	switch k {
	case KindJPEG:
		return jpegOrientation(b)
	case KindWebP:
		return webpOrientation(b)
	case KindPNG:
		return pngOrientation(b)
	}
	return 1
}

// orient turns m upright according to EXIF orientation o (1 to 8), so the output needs
// no orientation tag to display the way the camera meant.
func orient(m *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+w*4]
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			copy(out.Pix[dy*out.Stride+dx*4:dy*out.Stride+dx*4+4], row[x*4:x*4+4])
		}
	}
	return out
}
