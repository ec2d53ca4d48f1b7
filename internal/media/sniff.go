package media

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strings"
	"unicode/utf8"
)

// SniffLen is how many leading bytes Sniff looks at. Callers pass at least that many, or
// the whole file when it is shorter; more are ignored.
const SniffLen = 8 << 10

// Sniff decides the kind of a file from its first bytes alone. It never fails: markup
// comes back as KindHTML, KindSVG or KindXML, anything unrecognised as KindUnknown, and
// Detect turns those into errors. Text is KindText; only Detect can call it CSV, because
// that takes the file name.
func Sniff(head []byte) Kind {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return KindJPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return KindGIF
	case len(head) >= 16 && string(head[:4]) == "RIFF" && string(head[8:15]) == "WEBPVP8":
		return KindWebP
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WAVE":
		return KindWAV
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return KindPDF
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return sniffZip(head)
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return KindOLE
	case bytes.HasPrefix(head, []byte("\x1a\x45\xdf\xa3")):
		return sniffEBML(head)
	case bytes.HasPrefix(head, []byte("OggS")):
		return sniffOgg(head)
	case bytes.HasPrefix(head, []byte("ID3")):
		return sniffID3(head)
	}
	if k := sniffISOBMFF(head); k != KindUnknown {
		return k
	}
	if k := sniffMPEGAudio(head); k != KindUnknown {
		return k
	}
	if k := sniffMarkup(head); k != KindUnknown {
		return k
	}
	if isText(head) {
		return KindText
	}
	return KindUnknown
}

// isoBrands maps ISO-BMFF brands (major or compatible) to kinds. Image brands (HEIC,
// AVIF) are listed so that a phone photo is not mistaken for a video: we cannot decode
// them, so they are refused.
var isoBrands = map[string]Kind{
	"isom": KindMP4, "iso2": KindMP4, "iso3": KindMP4, "iso4": KindMP4, "iso5": KindMP4,
	"iso6": KindMP4, "mp41": KindMP4, "mp42": KindMP4, "mp71": KindMP4, "avc1": KindMP4,
	"dash": KindMP4, "qt  ": KindMP4, "M4V ": KindMP4, "M4VH": KindMP4, "M4VP": KindMP4,
	"f4v ": KindMP4, "mmp4": KindMP4, "MSNV": KindMP4, "NDAS": KindMP4, "XAVC": KindMP4,
	"3gp4": KindMP4, "3gp5": KindMP4, "3gp6": KindMP4, "3g2a": KindMP4, "3ge6": KindMP4,
	"M4A ": KindM4A, "M4B ": KindM4A, "M4P ": KindM4A, "F4A ": KindM4A,
	"heic": KindUnknown, "heix": KindUnknown, "heim": KindUnknown, "heis": KindUnknown,
	"hevc": KindUnknown, "mif1": KindUnknown, "msf1": KindUnknown, "avif": KindUnknown,
	"avis": KindUnknown, "crx ": KindUnknown,
}

func sniffISOBMFF(head []byte) Kind {
	if len(head) < 12 {
		return KindUnknown
	}
	size := int(binary.BigEndian.Uint32(head))
	switch string(head[4:8]) {
	case "ftyp":
	case "moov", "mdat", "wide", "pnot":
		// QuickTime files older than the ftyp box start straight with an atom.
		if size >= 8 || size == 1 {
			return KindMP4
		}
		return KindUnknown
	default:
		return KindUnknown
	}
	if size < 16 || size > 4096 {
		return KindUnknown
	}
	if k, ok := isoBrands[string(head[8:12])]; ok {
		return k
	}
	// An unknown major brand: believe the compatible brands, an image brand first.
	var found Kind = KindUnknown
	for off := 16; off+4 <= size && off+4 <= len(head); off += 4 {
		k, ok := isoBrands[string(head[off:off+4])]
		if !ok {
			continue
		}
		if k == KindUnknown {
			return KindUnknown
		}
		if found == KindUnknown {
			found = k
		}
	}
	return found
}

func sniffOgg(head []byte) Kind {
	switch {
	case bytes.Contains(head, []byte("\x80theora")):
		return KindUnknown
	case bytes.Contains(head, []byte("OpusHead")), bytes.Contains(head, []byte("\x01vorbis")),
		bytes.Contains(head, []byte("\x7fFLAC")), bytes.Contains(head, []byte("Speex   ")):
		return KindOgg
	}
	return KindUnknown
}

// id3Size is the length of an ID3v2 tag at the start of b, header and footer included.
func id3Size(b []byte) (int, bool) {
	if len(b) < 10 || string(b[:3]) != "ID3" || b[3] == 0xff || b[4] == 0xff {
		return 0, false
	}
	n := 0
	for _, c := range b[6:10] {
		if c&0x80 != 0 {
			return 0, false
		}
		n = n<<7 | int(c)
	}
	n += 10
	if b[5]&0x10 != 0 {
		n += 10
	}
	return n, true
}

func sniffID3(head []byte) Kind {
	n, ok := id3Size(head)
	if !ok {
		return KindUnknown
	}
	if n >= len(head) {
		// The tag (cover art, often) covers the whole head; ID3 almost always fronts MP3.
		return KindMP3
	}
	// Encoders leave padding or junk between the tag and the first frame.
	end := min(len(head), n+4096)
	for i := n; i < end; i++ {
		if head[i] == 0xff {
			if k := sniffMPEGAudio(head[i:]); k != KindUnknown {
				return k
			}
		}
	}
	return KindUnknown
}

var mpegBitrates = [2][3][16]int{ // [mpeg1?0:1][layer-1][index] in kbit/s
	{
		{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
		{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
	},
	{
		{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
		{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
	},
}

var mpegRates = [4][3]int{ // [version bits][index]
	{11025, 12000, 8000}, {}, {22050, 24000, 16000}, {44100, 48000, 32000},
}

// mpegFrame parses an MPEG audio or ADTS frame header at b and returns its kind and the
// frame's length in bytes.
func mpegFrame(b []byte) (Kind, int) {
	if len(b) < 7 || b[0] != 0xff || b[1]&0xe0 != 0xe0 {
		return KindUnknown, 0
	}
	version, layer := b[1]>>3&3, b[1]>>1&3
	if layer == 0 {
		// ADTS: a 12-bit sync, layer 0, and a 13-bit frame length.
		if b[1]&0xf0 != 0xf0 || b[2]>>2&0xf > 12 {
			return KindUnknown, 0
		}
		n := int(b[3]&3)<<11 | int(b[4])<<3 | int(b[5]>>5)
		if n < 7 {
			return KindUnknown, 0
		}
		return KindAAC, n
	}
	bi, si, pad := int(b[2]>>4), int(b[2]>>2&3), int(b[2]>>1&1)
	if version == 1 || bi == 0 || bi == 15 || si == 3 {
		return KindUnknown, 0
	}
	v := 1
	if version == 3 {
		v = 0
	}
	l := 3 - int(layer) // layer bits 3,2,1 are layers I, II, III
	br, sr := mpegBitrates[v][l][bi]*1000, mpegRates[version][si]
	var n int
	switch {
	case l == 0:
		n = (12*br/sr + pad) * 4
	case l == 2 && v == 1:
		n = 72*br/sr + pad
	default:
		n = 144*br/sr + pad
	}
	if n < 8 {
		return KindUnknown, 0
	}
	return KindMP3, n
}

// sniffMPEGAudio accepts a frame header only if the next one, when within head, agrees:
// a lone 0xFFEx at the start of random binary is not proof of audio.
func sniffMPEGAudio(head []byte) Kind {
	k, n := mpegFrame(head)
	if k == KindUnknown {
		return KindUnknown
	}
	if n+7 <= len(head) {
		if k2, _ := mpegFrame(head[n:]); k2 != k {
			return KindUnknown
		}
	}
	return k
}

// activeTags are markers of something a browser would render or run. Their presence
// anywhere in a text head makes it markup, wherever http.DetectContentType looked.
var activeTags = []string{
	"<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<object", "<embed",
	"<svg", "<math", "<meta", "<form", "<img", "<style", "<link", "<base", "<?xml-stylesheet",
	"xmlns=\"http://www.w3.org/1999/xhtml",
}

// sniffMarkup recognises HTML, SVG and XML. http.DetectContentType implements the
// WHATWG rules a browser applies to the first bytes, so it is asked first; it misses SVG
// without an XML declaration, markup behind a byte-order mark or a tag it does not list,
// and markup further down a text file, which are checked here.
func sniffMarkup(head []byte) Kind {
	ct := http.DetectContentType(head)
	lower := strings.ToLower(string(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))))
	hasSVG := strings.Contains(lower, "<svg")
	switch {
	case strings.HasPrefix(ct, "text/html"):
		if hasSVG && !strings.Contains(lower, "<html") {
			return KindSVG
		}
		return KindHTML
	case strings.HasPrefix(ct, "text/xml"):
		if hasSVG {
			return KindSVG
		}
		return KindXML
	case !strings.HasPrefix(ct, "text/plain"):
		return KindUnknown
	}
	trimmed := strings.TrimLeft(lower, " \t\r\n\f")
	if hasSVG {
		return KindSVG
	}
	for _, tag := range activeTags {
		if strings.Contains(lower, tag) {
			return KindHTML
		}
	}
	if strings.HasPrefix(trimmed, "<?xml") {
		return KindXML
	}
	// A document that opens with a tag is markup even if we do not know the tag.
	if len(trimmed) > 1 && trimmed[0] == '<' {
		if c := trimmed[1]; c == '!' || c == '?' || c >= 'a' && c <= 'z' {
			return KindHTML
		}
	}
	return KindUnknown
}

// isText accepts UTF-8 without NULs or control characters other than tab, line breaks
// and form feed. A rune cut by the end of head is forgiven: head may be a prefix.
func isText(head []byte) bool {
	b := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return !utf8.FullRune(b) && len(head) >= SniffLen
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7f {
			return false
		}
		b = b[n:]
	}
	return true
}
