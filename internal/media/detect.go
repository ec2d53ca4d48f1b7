package media

import (
	"fmt"
	"mime"
	"strings"
)

// extFamilies is what a file name claims. Extensions not listed claim nothing.
var extFamilies = map[string]Family{}

func init() {
	for fam, exts := range map[Family]string{
		FamilyImage:  ".jpg .jpeg .jpe .jfif .png .apng .gif .webp .heic .heif .avif .bmp .tif .tiff .ico",
		FamilyVideo:  ".mp4 .m4v .mov .qt .webm .mkv .avi .3gp .3g2 .mpg .mpeg .wmv",
		FamilyAudio:  ".mp3 .m4a .m4b .aac .wav .ogg .oga .opus .weba .flac .wma",
		FamilyActive: ".html .htm .xhtml .shtml .mht .mhtml .svg .svgz .xml .xsl .xslt",
		FamilyFile: ".pdf .zip .docx .xlsx .pptx .odt .ods .odp .doc .xls .ppt .csv .tsv .txt " +
			".md .log .json .rtf",
	} {
		for _, e := range strings.Fields(exts) {
			extFamilies[e] = fam
		}
	}
}

// mimeFamily is what a declared Content-Type claims; FamilyUnknown claims nothing.
func mimeFamily(t string) Family {
	switch {
	case t == "", t == "application/octet-stream", t == "binary/octet-stream",
		t == "application/x-unknown", t == "application/unknown":
		return FamilyUnknown
	case t == "text/html", t == "application/xhtml+xml", t == "image/svg+xml", t == "text/xml",
		t == "application/xml", strings.HasSuffix(t, "+xml"):
		return FamilyActive
	case t == "application/ogg":
		return FamilyAudio
	case t == "application/mp4":
		return FamilyVideo
	case strings.HasPrefix(t, "image/"):
		return FamilyImage
	case strings.HasPrefix(t, "video/"):
		return FamilyVideo
	case strings.HasPrefix(t, "audio/"):
		return FamilyAudio
	}
	return FamilyFile
}

// fileExt is the lower-case extension of a client file name, which may be a Windows path.
func fileExt(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return strings.ToLower(name[i:])
	}
	return ""
}

// Detect decides the kind of an upload from head (its first SniffLen bytes, see
// ReadHead) and checks it against what the client said: declared is the part's
// Content-Type, name its file name; either may be empty. The bytes decide; the claims
// only refine an ambiguity (an MP4 or WebM holding only sound, a text that is CSV, which
// legacy Office file an OLE2 container is) or refuse a contradiction.
//
// Errors: ErrEmpty; ErrUnsupported for markup (HTML, SVG, XML), unknown binary and text
// named like markup; ErrMismatch (a *MismatchError) when the declared type or the
// extension names another family than the bytes, an image named .pdf or HTML sent as
// image/png. Any caller may use it; it reads nothing but head.
func Detect(head []byte, declared, name string) (Kind, error) {
	if len(head) == 0 {
		return KindUnknown, ErrEmpty
	}
	k := Sniff(head)
	mt, _, err := mime.ParseMediaType(declared)
	if err != nil {
		mt = ""
	}
	ext := fileExt(name)
	claims := []struct {
		what string
		fam  Family
	}{{declared, mimeFamily(mt)}, {name, extFamilies[ext]}}
	fam := k.Family()

	if fam == FamilyUnknown {
		return KindUnknown, fmt.Errorf("%w: unrecognised content", ErrUnsupported)
	}
	for _, c := range claims {
		switch {
		case c.fam == FamilyUnknown || c.fam == fam:
		case fam == FamilyActive:
			return KindUnknown, &MismatchError{Declared: c.what, Sniffed: k}
		case c.fam == FamilyActive && k == KindText:
			return KindUnknown, fmt.Errorf("%w: text named as markup (%q)", ErrUnsupported, c.what)
		case c.fam == FamilyAudio && k == KindMP4:
			k = KindM4A
		case c.fam == FamilyAudio && k == KindWebM:
			k = KindAudioWebM
		case c.fam == FamilyVideo && k == KindM4A:
			k = KindMP4
		default:
			return KindUnknown, &MismatchError{Declared: c.what, Sniffed: k}
		}
		fam = k.Family()
	}
	if fam == FamilyActive {
		return KindUnknown, fmt.Errorf("%w: %s is never accepted", ErrUnsupported, k)
	}
	switch k {
	case KindText:
		if ext == ".csv" || mt == "text/csv" {
			k = KindCSV
		}
	case KindOLE:
		switch {
		case ext == ".doc" || mt == string(KindDOC):
			k = KindDOC
		case ext == ".xls" || mt == string(KindXLS):
			k = KindXLS
		case ext == ".ppt" || mt == string(KindPPT):
			k = KindPPT
		}
	}
	return k, nil
}
