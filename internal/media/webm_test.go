package media

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestCleanWebM(t *testing.T) {
	in := readCorpus(t, "tags.webm")
	assertPlanted(t, "tags.webm", in, secret+"-WEBM-TITLE", secret+"-WEBM-TAG", secret+"-TRACK-NAME", secret+"-ATTACHED", coords)
	var out bytes.Buffer
	info, err := CleanWebM(bytes.NewReader(in), int64(len(in)), &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != len(in) {
		t.Fatalf("output is %d bytes, input %d: elements must keep their size", out.Len(), len(in))
	}
	assertClean(t, "webm", out.Bytes())
	want := VideoInfo{Duration: 2500 * time.Millisecond, Width: 320, Height: 240, HasVideo: true, HasAudio: true}
	if info != want {
		t.Errorf("info = %+v, want %+v", info, want)
	}
	for _, s := range []string{"VIDEOBLOCK-0", "VIDEOBLOCK-1", "ruche-test", "V_VP8", "A_OPUS"} {
		if i, j := bytes.Index(in, []byte(s)), bytes.Index(out.Bytes(), []byte(s)); i < 0 || i != j {
			t.Errorf("%s at %d in the input, %d in the output", s, i, j)
		}
	}
	if got := Sniff(out.Bytes()); got != KindWebM {
		t.Errorf("output sniffs as %s", got)
	}
	var again bytes.Buffer
	info2, err := CleanWebM(bytes.NewReader(out.Bytes()), int64(out.Len()), &again)
	if err != nil || info2 != info || !bytes.Equal(again.Bytes(), out.Bytes()) {
		t.Errorf("second pass: %v, %+v, changed %v", err, info2, !bytes.Equal(again.Bytes(), out.Bytes()))
	}
}

func TestEBMLVoidKeepsLength(t *testing.T) {
	// Every pairing of ID length and size length must give a Void of the same length
	// that reads back as one element.
	for idLen := 1; idLen <= 4; idLen++ {
		for sLen := 1; sLen <= 8; sLen++ {
			e := ebmlElem{off: 0, idLen: idLen, sLen: sLen, hdr: int64(idLen + sLen), size: 5}
			p := e.voidPatch()
			b := append(append([]byte{}, p.head...), make([]byte, p.n-int64(len(p.head)))...)
			sz, n, ok := ebmlVint(b[1:], false)
			if !ok || b[0] != ebmlVoidID || int64(1+n)+sz != int64(len(b)) || int64(len(b)) != e.hdr+e.size {
				t.Errorf("id %d, size %d bytes: void % x reads as %d+%d, want %d", idLen, sLen, p.head, n, sz, e.hdr+e.size)
			}
		}
	}
}

func TestCleanWebMErrors(t *testing.T) {
	full := readCorpus(t, "tags.webm")
	header := ebml(ebmlHeaderID, ebml(ebmlDocTypeID, []byte("webm")))
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"jpeg", readCorpus(t, "exif-gps.jpg"), ErrUnsupported},
		{"matroska", ebml(ebmlHeaderID, ebml(ebmlDocTypeID, []byte("matroska"))), ErrUnsupported},
		{"truncated in the tracks", full[:200], ErrCorrupt},
		{"no segment", header, ErrCorrupt},
		{"element past its parent", append(header, ebml(mkvSegmentID, ebml(mkvInfoID, make([]byte, 100))[:20])...), ErrCorrupt},
		{"info of unknown size", append(header, ebml(mkvSegmentID, ebmlUnknown(mkvInfoID))...), ErrCorrupt},
		{"bad element id", append(header, ebml(mkvSegmentID, []byte{0x00, 0x81, 0x00})...), ErrCorrupt},
		{"stray top-level element", append(header, ebml(mkvInfoID)...), ErrCorrupt},
		{"oversized integer", append(header, ebml(mkvSegmentID, ebml(mkvInfoID, ebml(mkvTimescaleID, make([]byte, 9))))...), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CleanWebM(bytes.NewReader(tt.data), int64(len(tt.data)), failWriter{t})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
