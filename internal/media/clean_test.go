package media

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// leaks are byte strings that must never appear in cleaned output: everything private
// the corpus plants, and the markers of the metadata structures that carry it.
func leaks() map[string][]byte {
	le := make([]byte, len(gpsLatitude))
	for i := 0; i < len(gpsLatitude); i += 4 {
		binary.LittleEndian.PutUint32(le[i:], binary.BigEndian.Uint32(gpsLatitude[i:]))
	}
	return map[string][]byte{
		"planted secret":        []byte(secret),
		"coordinates":           []byte(coords),
		"XMP latitude":          []byte("48,51.504N"),
		"EXIF latitude (BE)":    gpsLatitude,
		"EXIF latitude (LE)":    le,
		"EXIF header":           []byte("Exif\x00\x00"),
		"EXIF camera make":      []byte("RucheCam"),
		"XMP namespace":         []byte("http://ns.adobe.com/xap"),
		"XMP packet":            []byte("xmpmeta"),
		"IPTC header":           []byte("Photoshop 3.0"),
		"Photoshop resource":    []byte("8BIM"),
		"PNG tEXt":              []byte("tEXt"),
		"PNG iTXt":              []byte("iTXt"),
		"PNG zTXt":              []byte("zTXt"),
		"PNG eXIf":              []byte("eXIf"),
		"GIF XMP extension":     []byte("XMP DataXMP"),
		"Apple location atom":   []byte("\xa9xyz"),
		"Apple location key":    []byte("com.apple.quicktime.location"),
		"user data box":         []byte("udta"),
		"planted creation time": {0xDE, 0xC0, 0xDE, 0x42},
		"script":                []byte("<script"),
	}
}

// assertClean fails t for every leak found in out.
func assertClean(t *testing.T, what string, out []byte) {
	t.Helper()
	for name, needle := range leaks() {
		if i := bytes.Index(out, needle); i >= 0 {
			t.Errorf("%s: %s %q found at byte %d", what, name, needle, i)
		}
	}
}

// assertPlanted guards against a corpus that went clean by itself, which would make
// assertClean pass for nothing.
func assertPlanted(t *testing.T, what string, in []byte, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if !bytes.Contains(in, []byte(n)) {
			t.Fatalf("%s: corpus lacks %q; regenerate it with -update", what, n)
		}
	}
}
