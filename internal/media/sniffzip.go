package media

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"io"
	"strings"
)

// sniffZip tells Office and OpenDocument files from other zips by the local file headers
// present in head. ODF requires an uncompressed "mimetype" entry first, and Office writes
// [Content_Types].xml (small, deflated) first; failing that, the part names ("word/",
// "xl/", "ppt/") are evidence enough. Headers are found by their signature rather than
// by walking sizes, because writers that stream (data descriptors) leave the sizes zero.
func sniffZip(head []byte) Kind {
	byName := KindZip
	sig := []byte("PK\x03\x04")
	for off, n := 0, 0; n < 64; n++ {
		i := bytes.Index(head[off:], sig)
		if i < 0 {
			break
		}
		h := head[off+i:]
		off += i + len(sig)
		if len(h) < 30 {
			break
		}
		method := binary.LittleEndian.Uint16(h[8:])
		nlen := int(binary.LittleEndian.Uint16(h[26:]))
		xlen := int(binary.LittleEndian.Uint16(h[28:]))
		if 30+nlen > len(h) {
			break
		}
		name := string(h[30 : 30+nlen])
		data := h[min(len(h), 30+nlen+xlen):]
		switch {
		case name == "mimetype" && method == 0:
			return odfKind(data)
		case name == "[Content_Types].xml":
			if k := ooxmlKind(data, method); k != KindUnknown {
				return k
			}
		case byName == KindZip && strings.HasPrefix(name, "word/"):
			byName = KindDOCX
		case byName == KindZip && strings.HasPrefix(name, "xl/"):
			byName = KindXLSX
		case byName == KindZip && strings.HasPrefix(name, "ppt/"):
			byName = KindPPTX
		}
	}
	return byName
}

// odfKind reads the mimetype entry's text; what follows it is the next header.
func odfKind(data []byte) Kind {
	for _, k := range []Kind{KindODT, KindODS, KindODP} {
		if rest, ok := bytes.CutPrefix(data, []byte(k)); ok && !bytes.HasPrefix(rest, []byte("-")) {
			return k
		}
	}
	return KindZip
}

// ooxmlKind reads the main part's content type from the entry's data, which may run on
// into the next entry: the deflate stream knows where it ends. Only the plain documents
// get their own kind; templates and macro-enabled files stay KindZip.
func ooxmlKind(data []byte, method uint16) Kind {
	var xml []byte
	switch method {
	case 0:
		xml = data
	case 8:
		// [Content_Types].xml is a few KB; 64 KB of output bounds a hostile stream.
		xml, _ = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(data)), 64<<10))
	default:
		return KindUnknown
	}
	for marker, k := range map[string]Kind{
		"wordprocessingml.document.main+xml":     KindDOCX,
		"spreadsheetml.sheet.main+xml":           KindXLSX,
		"presentationml.presentation.main+xml":   KindPPTX,
		"ms-word.document.macroEnabled.main+xml": KindZip,
		"ms-excel.sheet.macroEnabled.main+xml":   KindZip,
	} {
		if bytes.Contains(xml, []byte(marker)) {
			return k
		}
	}
	return KindUnknown
}
