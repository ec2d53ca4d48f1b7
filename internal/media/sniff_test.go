package media

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// zipOf builds a zip of the named entries, in order; names ending in "!" are stored
// uncompressed (the "!" dropped), as ODF requires of its mimetype entry.
func zipOf(t *testing.T, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(entries); i += 2 {
		name, method := entries[i], zip.Deflate
		if n := len(name); name[n-1] == '!' {
			name, method = name[:n-1], zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, entries[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const contentTypes = `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Override PartName="/main.xml" ContentType="application/vnd.openxmlformats-officedocument.%s+xml"/></Types>`

func ftyp(major string, compat ...string) []byte {
	b := []byte(major + "\x00\x00\x02\x00")
	for _, c := range compat {
		b = append(b, c...)
	}
	return append(isoBox("ftyp", b), isoBox("free", nil)...)
}

func mp3Frames(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		f := make([]byte, 417)
		copy(f, []byte{0xff, 0xfb, 0x90, 0x44})
		b = append(b, f...)
	}
	return b
}

func adtsFrames(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		f := make([]byte, 100)
		copy(f, []byte{0xff, 0xf1, 0x50, 0x80, 100 >> 3, (100 & 7) << 5, 0xfc})
		b = append(b, f...)
	}
	return b
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want Kind
	}{
		{"jpeg", readCorpus(t, "exif-gps.jpg"), KindJPEG},
		{"png", readCorpus(t, "text-chunks.png"), KindPNG},
		{"gif89a", readCorpus(t, "comment-xmp.gif"), KindGIF},
		{"gif87a", []byte("GIF87a\x01\x00\x01\x00"), KindGIF},
		{"webp", readCorpus(t, "exif-xmp.webp"), KindWebP},
		{"wav", readCorpus(t, "info.wav"), KindWAV},
		{"mp4", readCorpus(t, "gps.mp4"), KindMP4},
		{"mov", ftyp("qt  ", "qt  "), KindMP4},
		{"3gp", ftyp("3gp4", "isom"), KindMP4},
		{"old QuickTime without ftyp", isoBox("moov", isoBox("mvhd", make([]byte, 100))), KindMP4},
		{"m4a", ftyp("M4A ", "M4A ", "mp42", "isom"), KindM4A},
		{"heic photo", ftyp("heic", "mif1", "heic"), KindUnknown},
		{"avif photo", ftyp("avif", "avif", "mif1"), KindUnknown},
		{"unknown brand, image compat", ftyp("abcd", "mif1", "heic"), KindUnknown},
		{"unknown brand, movie compat", ftyp("abcd", "xxxx", "isom"), KindMP4},
		{"unknown brand alone", ftyp("abcd", "efgh"), KindUnknown},
		{"webm", readCorpus(t, "tags.webm"), KindWebM},
		{"matroska", ebml(ebmlHeaderID, ebml(ebmlDocTypeID, []byte("matroska"))), KindUnknown},
		{"ogg opus", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x02"), KindOgg},
		{"ogg theora", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x2a\x80theora"), KindUnknown},
		{"mp3 with id3", readCorpus(t, "tags.mp3"), KindMP3},
		{"mp3 frames alone", mp3Frames(3), KindMP3},
		{"one frame header then noise", append([]byte{0xff, 0xfb, 0x90, 0x44}, bytes.Repeat([]byte{0x37}, 1000)...), KindUnknown},
		{"aac adts", adtsFrames(3), KindAAC},
		{"id3 then aac", append(buildMP3()[:10+10+len(coords)+len(secret)+9], adtsFrames(2)...), KindAAC},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), KindPDF},
		{"zip", zipOf(t, "a.txt", "hello"), KindZip},
		{"empty zip", []byte("PK\x05\x06" + string(make([]byte, 18))), KindZip},
		{"docx", zipOf(t, "[Content_Types].xml", fmt.Sprintf(contentTypes, "wordprocessingml.document.main"), "word/document.xml", "<w/>"), KindDOCX},
		{"xlsx", zipOf(t, "[Content_Types].xml", fmt.Sprintf(contentTypes, "spreadsheetml.sheet.main"), "xl/workbook.xml", "<w/>"), KindXLSX},
		{"pptx", zipOf(t, "[Content_Types].xml", fmt.Sprintf(contentTypes, "presentationml.presentation.main"), "ppt/presentation.xml", "<w/>"), KindPPTX},
		{"docx by part names", zipOf(t, "_rels/.rels", "<r/>", "word/document.xml", "<w/>"), KindDOCX},
		{"macro-enabled workbook", zipOf(t, "[Content_Types].xml", `ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"`, "xl/workbook.xml", "<w/>"), KindZip},
		{"odt", zipOf(t, "mimetype!", string(KindODT), "content.xml", "<x/>"), KindODT},
		{"ods", zipOf(t, "mimetype!", string(KindODS)), KindODS},
		{"odp", zipOf(t, "mimetype!", string(KindODP)), KindODP},
		{"epub", zipOf(t, "mimetype!", "application/epub+zip"), KindZip},
		{"ole2", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + string(make([]byte, 100))), KindOLE},
		{"text", []byte("name,city\nana,Lyon\n"), KindText},
		{"utf-8 text", []byte("Réunion à 14 h — café ☕\r\n"), KindText},
		{"utf-8 bom", []byte("\xef\xbb\xbfa;b\n"), KindText},
		{"text with NUL", []byte("abc\x00def"), KindUnknown},
		{"latin-1", []byte("caf\xe9 cr\xe8me\n"), KindUnknown},
		{"html", readCorpus(t, "html.png"), KindHTML},
		{"html indented", []byte("\n  <html><body>hi"), KindHTML},
		{"html behind a bom", []byte("\xef\xbb\xbf<html>"), KindHTML},
		{"html further down", []byte("Notes for Monday\n\n<script>alert(1)</script>"), KindHTML},
		{"unlisted tag", []byte("<marquee>hi</marquee>"), KindHTML},
		{"svg with xml declaration", readCorpus(t, "script.svg"), KindSVG},
		{"bare svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), KindSVG},
		{"xml", []byte(`<?xml version="1.0"?><note>hi</note>`), KindXML},
		{"polyglot gif", readCorpus(t, "polyglot.gif"), KindGIF},
		{"empty", nil, KindUnknown},
		{"binary", []byte{0x00, 0x01, 0x02, 0x03, 0xfe, 0x99, 0x10}, KindUnknown},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00"), KindUnknown},
	}
	for _, tt := range tests {
		if got := Sniff(tt.data); got != tt.want {
			t.Errorf("%s: Sniff = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestSniffTextCutMidRune(t *testing.T) {
	b := bytes.Repeat([]byte("é"), SniffLen) // twice SniffLen bytes
	if got := Sniff(b[:SniffLen+1]); got != KindText {
		t.Errorf("head cut inside a rune: Sniff = %s, want %s", got, KindText)
	}
	if got := Sniff(b[:11]); got != KindUnknown {
		t.Errorf("whole file ending inside a rune: Sniff = %s, want %s", got, KindUnknown)
	}
}

func TestDetect(t *testing.T) {
	jpg := readCorpus(t, "exif-gps.jpg")
	pdf := []byte("%PDF-1.7\n")
	text := []byte("name,city\nana,Lyon\n")
	ole := []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + string(make([]byte, 100)))
	tests := []struct {
		name     string
		data     []byte
		declared string
		file     string
		want     Kind
		wantErr  error
	}{
		{"the bytes decide within a family", jpg, "image/png", "a.png", KindJPEG, nil},
		{"no claims", jpg, "", "", KindJPEG, nil},
		{"octet-stream claims nothing", pdf, "application/octet-stream", "scan.pdf", KindPDF, nil},
		{"image sent as pdf", jpg, "application/pdf", "", KindUnknown, ErrMismatch},
		{"image named .pdf", jpg, "", "photo.pdf", KindUnknown, ErrMismatch},
		{"windows path", jpg, "", `C:\Users\ana\Pictures\IMG_0001.JPG`, KindJPEG, nil},
		{"pdf sent as png", pdf, "image/png", "a.png", KindUnknown, ErrMismatch},
		{"html sent as png", readCorpus(t, "html.png"), "image/png", "html.png", KindUnknown, ErrMismatch},
		{"html named .png only", readCorpus(t, "html.png"), "", "html.png", KindUnknown, ErrMismatch},
		{"html as itself", readCorpus(t, "html.png"), "text/html", "page.html", KindUnknown, ErrUnsupported},
		{"svg as itself", readCorpus(t, "script.svg"), "image/svg+xml", "logo.svg", KindUnknown, ErrUnsupported},
		{"svg sent as png", readCorpus(t, "script.svg"), "image/png; charset=binary", "logo.png", KindUnknown, ErrMismatch},
		{"text named .html", text, "text/html", "page.html", KindUnknown, ErrUnsupported},
		{"text sent as jpeg", text, "image/jpeg", "", KindUnknown, ErrMismatch},
		{"csv from windows", text, "application/vnd.ms-excel", "export.csv", KindCSV, nil},
		{"csv declared", text, "text/csv", "", KindCSV, nil},
		{"plain text", text, "text/plain", "notes.txt", KindText, nil},
		{"text with a .csv name but binary", []byte{0, 1, 2}, "", "x.csv", KindUnknown, ErrUnsupported},
		{"mp4 sent as audio", readCorpus(t, "gps.mp4"), "audio/mp4", "voice.m4a", KindM4A, nil},
		{"m4a sent as video", ftyp("M4A ", "M4A "), "video/mp4", "clip.mp4", KindMP4, nil},
		{"webm sent as audio", readCorpus(t, "tags.webm"), "audio/webm", "memo.weba", KindAudioWebM, nil},
		{"webm", readCorpus(t, "tags.webm"), "video/webm", "clip.webm", KindWebM, nil},
		{"ogg sent as video", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead"), "video/ogg", "", KindUnknown, ErrMismatch},
		{"video sent as image", readCorpus(t, "gps.mp4"), "image/gif", "", KindUnknown, ErrMismatch},
		{"xls", ole, "", "budget.xls", KindXLS, nil},
		{"doc", ole, "application/msword", "", KindDOC, nil},
		{"ppt", ole, "application/vnd.ms-powerpoint", "deck", KindPPT, nil},
		{"ole without a name", ole, "", "", KindOLE, nil},
		{"docx", zipOf(t, "word/document.xml", "<w/>"), "application/zip", "report.docx", KindDOCX, nil},
		{"polyglot gif passes; the cleaner refuses it", readCorpus(t, "polyglot.gif"), "image/gif", "a.gif", KindGIF, nil},
		{"unknown binary", []byte("\x7fELF\x02\x01\x01\x00"), "", "tool", KindUnknown, ErrUnsupported},
		{"heic", ftyp("heic", "mif1", "heic"), "image/heic", "IMG_0001.HEIC", KindUnknown, ErrUnsupported},
		{"empty", nil, "image/png", "a.png", KindUnknown, ErrEmpty},
	}
	for _, tt := range tests {
		got, err := Detect(tt.data, tt.declared, tt.file)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: Detect = %s, %v; want %s, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		var me *MismatchError
		if errors.Is(err, ErrMismatch) && (!errors.As(err, &me) || me.Declared == "") {
			t.Errorf("%s: mismatch %v does not say what was declared", tt.name, err)
		}
	}
}

func TestInline(t *testing.T) {
	for k, info := range kinds {
		want := (info.family == FamilyImage || info.family == FamilyVideo || info.family == FamilyAudio) && k != KindOgg
		if k.Inline() != want {
			t.Errorf("%s: Inline = %v, want %v", k, k.Inline(), want)
		}
	}
	for _, k := range []Kind{KindHTML, KindSVG, KindXML, KindUnknown, KindPDF, KindText, Kind("image/svg+xml"), Kind("text/html; charset=utf-8")} {
		if k.Inline() {
			t.Errorf("%s: Inline = true", k)
		}
	}
}

func TestMessageKey(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{ErrEmpty, "error.media_empty"},
		{fmt.Errorf("%w: 20 MB", ErrTooLarge), "error.media_too_large"},
		{ErrDimensions, "error.media_dimensions"},
		{ErrUnsupported, "error.media_unsupported"},
		{&MismatchError{Declared: "image/png", Sniffed: KindPDF}, "error.media_mismatch"},
		{corrupt("x"), "error.media_corrupt"},
		{ErrNoVideoTool, "error.media_no_video_tool"},
		{io.ErrUnexpectedEOF, ""},
	}
	for _, tt := range tests {
		if got := MessageKey(tt.err); got != tt.want {
			t.Errorf("MessageKey(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
