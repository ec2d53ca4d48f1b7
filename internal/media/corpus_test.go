package media

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"flag"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// The corpus in testdata/ is written by the builders below: go test -run TestCorpus
// -update. Every private value planted in it contains "SECRET" or the coordinates below,
// so a test can search output bytes for them.
var update = flag.Bool("update", false, "rewrite testdata/ from the corpus builders")

const (
	secret = "SECRET"
	coords = "+48.8584+002.2945" // ISO 6709, as Apple writes it in ©xyz
)

// gpsLatitude is the EXIF GPSLatitude value planted: 48/1, 51/1, 3024/100, big-endian.
var gpsLatitude = []byte{0, 0, 0, 48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0, 1, 0, 0, 0x0b, 0xd0, 0, 0, 0, 100}

func corpusFiles() map[string]func() []byte {
	return map[string]func() []byte{
		"exif-gps.jpg":       func() []byte { return buildJPEG(6) },
		"text-chunks.png":    buildPNG,
		"exif-xmp.webp":      buildWebP,
		"comment-xmp.gif":    func() []byte { return buildGIF(secret + "-GIF-COMMENT") },
		"gps.mp4":            func() []byte { return buildMP4(false) },
		"gps-mdat-first.mp4": func() []byte { return buildMP4(true) },
		"tags.webm":          buildWebM,
		"tags.mp3":           buildMP3,
		"info.wav":           buildWAV,
		"truncated.jpg":      func() []byte { b := buildJPEG(6); return b[:len(b)*2/3] },
		"truncated.png":      func() []byte { b := buildPNG(); return b[:len(b)-40] },
		"truncated.gif":      func() []byte { b := buildGIF("x"); return b[:len(b)/2] },
		"truncated.webp":     func() []byte { b := buildWebP(); return b[:60] },
		"truncated.mp4":      func() []byte { b := buildMP4(false); return b[:len(b)-10] },
		"wrong-magic.png":    func() []byte { b := buildPNG(); b[3] = 'X'; return b },
		"empty.bin":          func() []byte { return []byte{} },
		"bomb.png":           buildBombPNG,
		"bomb.gif":           buildBombGIF,
		"html.png": func() []byte {
			return []byte("<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n")
		},
		"script.svg": func() []byte { return []byte(svgWithScript) },
		"polyglot.gif": func() []byte {
			return append([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), "<html><script>alert(1)</script></html>"...)
		},
		"polyglot-comment.gif": func() []byte { return buildGIF("<html><script>alert(1)</script></html>") },
	}
}

const svgWithScript = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>
`

func TestCorpus(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/")
	}
	for name, build := range corpusFiles() {
		b := build()
		if len(b) > 60<<10 {
			t.Fatalf("%s: %d bytes, corpus files stay under 60 KB", name, len(b))
		}
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (run go test -run TestCorpus -update)", err)
	}
	return b
}

// halves paints the left half of a w×h image a, the right half b.
func halves(w, h int, a, b color.Color) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x < w/2 {
				m.Set(x, y, a)
			} else {
				m.Set(x, y, b)
			}
		}
	}
	return m
}

var (
	red   = color.NRGBA{255, 0, 0, 255}
	blue  = color.NRGBA{0, 0, 255, 255}
	green = color.NRGBA{0, 200, 0, 255}
	ghost = color.NRGBA{255, 255, 255, 60}
)

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte // already in the file's byte order
}

// buildEXIF writes a TIFF structure: IFD0 with a description, a make, the orientation
// and a pointer to a GPS IFD holding latitude and longitude.
func buildEXIF(bo interface {
	binary.ByteOrder
	binary.AppendByteOrder
}, orientation uint16) []byte {
	short := func(v uint16) []byte { return bo.AppendUint16(nil, v) }
	long := func(v uint32) []byte { return bo.AppendUint32(nil, v) }
	rationals := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = bo.AppendUint32(b, x)
		}
		return b
	}
	desc := []byte(secret + "-EXIF-DESCRIPTION\x00")
	gps := []tiffEntry{
		{0x0000, 1, 4, []byte{2, 3, 0, 0}},
		{0x0001, 2, 2, []byte("N\x00")},
		{0x0002, 5, 3, rationals(48, 1, 51, 1, 3024, 100)},
		{0x0003, 2, 2, []byte("E\x00")},
		{0x0004, 5, 3, rationals(2, 1, 17, 1, 4020, 100)},
		{0x001b, 7, 22, []byte("ASCII\x00\x00\x00" + secret + "-GPS-HOW")},
	}
	ifd0 := []tiffEntry{
		{0x010e, 2, uint32(len(desc)), desc},
		{0x010f, 2, 9, []byte("RucheCam\x00")},
		{0x0112, 3, 1, short(orientation)},
		{0x8825, 4, 1, nil}, // GPS IFD offset, filled below
	}
	ifdLen := func(n int) int { return 2 + 12*n + 4 }
	gpsOff := 8 + ifdLen(len(ifd0))
	ifd0[3].data = long(uint32(gpsOff))
	dataOff := gpsOff + ifdLen(len(gps))

	var out, data []byte
	if bo == binary.LittleEndian {
		out = []byte("II*\x00")
	} else {
		out = []byte("MM\x00*")
	}
	out = bo.AppendUint32(out, 8)
	writeIFD := func(es []tiffEntry) {
		out = bo.AppendUint16(out, uint16(len(es)))
		for _, e := range es {
			out = bo.AppendUint16(out, e.tag)
			out = bo.AppendUint16(out, e.typ)
			out = bo.AppendUint32(out, e.count)
			if len(e.data) <= 4 {
				out = append(out, append(e.data, make([]byte, 4-len(e.data))...)...)
				continue
			}
			out = bo.AppendUint32(out, uint32(dataOff+len(data)))
			data = append(data, e.data...)
			if len(data)%2 == 1 {
				data = append(data, 0)
			}
		}
		out = bo.AppendUint32(out, 0)
	}
	writeIFD(ifd0)
	writeIFD(gps)
	return append(out, data...)
}

const xmpPacket = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 exif:GPSLatitude="48,51.504N" exif:GPSLongitude="2,17.67E" dc:description="` + secret + `-XMP"/>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`

func jpegSegment(marker byte, payload []byte) []byte {
	seg := []byte{0xff, marker}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

// buildJPEG is a 64×32 JPEG, red left, blue right, carrying EXIF (GPS, orientation),
// XMP, IPTC and a comment.
func buildJPEG(orientation uint16) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, halves(64, 32, red, blue), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	enc := buf.Bytes()
	iim := []byte{0x1c, 0x02, 90, 0, 16}
	iim = append(iim, secret+"-IPTC-CITY"...)
	irb := []byte("8BIM\x04\x04\x00\x00")
	irb = binary.BigEndian.AppendUint32(irb, uint32(len(iim)))
	irb = append(irb, iim...)
	if len(irb)%2 == 1 {
		irb = append(irb, 0)
	}
	segs := [][]byte{
		jpegSegment(0xe1, append([]byte("Exif\x00\x00"), buildEXIF(binary.LittleEndian, orientation)...)),
		jpegSegment(0xe1, append([]byte("http://ns.adobe.com/xap/1.0/\x00"), xmpPacket...)),
		jpegSegment(0xed, append([]byte("Photoshop 3.0\x00"), irb...)),
		jpegSegment(0xfe, []byte(secret+"-JPEG-COMMENT")),
	}
	out := append([]byte{}, enc[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, enc[2:]...)
}

func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// buildPNG is a 40×20 PNG, opaque green left, translucent white right, with tEXt, iTXt
// (XMP), zTXt and eXIf (GPS, orientation 3: upside down) chunks before the pixels.
func buildPNG() []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, halves(40, 20, green, ghost)); err != nil {
		panic(err)
	}
	enc := buf.Bytes()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(secret + "-PNG-ZTXT " + coords))
	zw.Close()
	chunks := [][]byte{
		pngChunk("tEXt", []byte("Comment\x00"+secret+"-PNG-TEXT "+coords)),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+xmpPacket)),
		pngChunk("zTXt", append([]byte("Description\x00\x00"), z.Bytes()...)),
		pngChunk("eXIf", buildEXIF(binary.BigEndian, 3)),
	}
	ihdrEnd := 8 + 8 + 13 + 4
	out := append([]byte{}, enc[:ihdrEnd]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, enc[ihdrEnd:]...)
}

func buildBombPNG() []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, 100000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 100000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, pngChunk("IHDR", ihdr)...)
	out = append(out, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, pngChunk("IEND", nil)...)
}

// buildBombGIF declares a 10000×10000 canvas around a one-pixel frame.
func buildBombGIF() []byte {
	b := []byte("GIF89a\x10\x27\x10\x27\x80\x00\x00\x00\x00\x00\xff\xff\xff")
	b = append(b, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b)
	return b
}

// buildGIF is a two-frame 30×20 animation with a comment extension holding comment and
// an XMP application extension, both before the first frame.
func buildGIF(comment string) []byte {
	pal := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}, color.RGBA{}}
	frame := func(c uint8) *image.Paletted {
		m := image.NewPaletted(image.Rect(0, 0, 30, 20), pal)
		for i := range m.Pix {
			m.Pix[i] = c
		}
		return m
	}
	g := &gif.GIF{
		Image:  []*image.Paletted{frame(0), frame(1)},
		Delay:  []int{50, 50},
		Config: image.Config{ColorModel: pal, Width: 30, Height: 20},
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		panic(err)
	}
	enc := buf.Bytes()
	subBlocks := func(s string) []byte {
		var out []byte
		for len(s) > 0 {
			n := min(len(s), 255)
			out = append(out, byte(n))
			out = append(out, s[:n]...)
			s = s[n:]
		}
		return append(out, 0)
	}
	ext := append([]byte{0x21, 0xfe}, subBlocks(comment)...)
	ext = append(ext, 0x21, 0xff, 0x0b)
	ext = append(ext, "XMP DataXMP"...)
	ext = append(ext, subBlocks(xmpPacket)...)
	gctEnd := 13 + 3<<(enc[10]&7+1)
	out := append([]byte{}, enc[:gctEnd]...)
	out = append(out, ext...)
	return append(out, enc[gctEnd:]...)
}

// bitWriter writes the least significant bit first, as VP8L reads.
type bitWriter struct {
	b []byte
	n uint
}

func (w *bitWriter) write(v uint32, bits uint) {
	for i := uint(0); i < bits; i++ {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (w.n % 8)
		w.n++
	}
}

// vp8l encodes m losslessly. It handles images whose channels each take at most two
// values, which is all the corpus needs: every Huffman code is a "simple" one of one or
// two symbols, so a pixel costs a bit per two-valued channel and no transform is needed.
func vp8l(m *image.NRGBA) []byte {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	var vals [4][]uint8 // per channel: the distinct values, sorted
	for i := 0; i < len(m.Pix); i++ {
		c, v := i%4, m.Pix[i]
		switch {
		case len(vals[c]) == 0:
			vals[c] = []uint8{v}
		case len(vals[c]) == 1 && vals[c][0] != v:
			vals[c] = append(vals[c], v)
			if vals[c][0] > vals[c][1] {
				vals[c][0], vals[c][1] = vals[c][1], vals[c][0]
			}
		case len(vals[c]) == 2 && vals[c][0] != v && vals[c][1] != v:
			panic("vp8l: more than two values in a channel")
		}
	}
	bw := &bitWriter{b: []byte{0x2f}, n: 8}
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	alpha := uint32(0)
	if len(vals[3]) > 1 || vals[3][0] != 255 {
		alpha = 1
	}
	bw.write(alpha, 1)
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	simple := func(syms []uint8) {
		bw.write(1, 1)
		bw.write(uint32(len(syms)-1), 1)
		bw.write(1, 1) // 8-bit first symbol
		bw.write(uint32(syms[0]), 8)
		if len(syms) == 2 {
			bw.write(uint32(syms[1]), 8)
		}
	}
	// Codes in the order green, red, blue, alpha, distance.
	for _, c := range []int{1, 0, 2, 3} {
		simple(vals[c])
	}
	simple([]uint8{0})
	for i := 0; i < len(m.Pix); i += 4 {
		for _, c := range []int{1, 0, 2, 3} {
			if len(vals[c]) == 2 {
				bit := uint32(0)
				if m.Pix[i+c] == vals[c][1] {
					bit = 1
				}
				bw.write(bit, 1)
			}
		}
	}
	return bw.b
}

func riffChunk(fourcc string, data []byte) []byte {
	c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// buildWebP is an extended WebP: a 48×24 lossless image, red left, blue right, then EXIF
// (GPS, orientation 8) and XMP chunks.
func buildWebP() []byte {
	const w, h = 48, 24
	vp8x := []byte{0x08 | 0x04, 0, 0, 0}
	vp8x = append(vp8x, byte(w-1), 0, 0, byte(h-1), 0, 0)
	body := []byte("WEBP")
	body = append(body, riffChunk("VP8X", vp8x)...)
	body = append(body, riffChunk("VP8L", vp8l(halves(w, h, red, blue)))...)
	body = append(body, riffChunk("EXIF", buildEXIF(binary.BigEndian, 8))...)
	body = append(body, riffChunk("XMP ", []byte(xmpPacket))...)
	return riffChunk("RIFF", body)
}
