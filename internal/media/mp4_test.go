package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// boxTypes lists the types of the boxes directly inside b[off:end].
func boxTypes(t *testing.T, b []byte, off, end int) []string {
	t.Helper()
	var types []string
	for off < end {
		size := int(binary.BigEndian.Uint32(b[off:]))
		if size == 1 {
			size = int(binary.BigEndian.Uint64(b[off+8:]))
		}
		if size < 8 || off+size > end {
			t.Fatalf("bad box at %d: size %d", off, size)
		}
		types = append(types, string(b[off+4:off+8]))
		off += size
	}
	return types
}

// findBox returns the payload bounds of the first top-level box of type typ.
func findBox(b []byte, typ string) (int, int) {
	for off := 0; off+8 <= len(b); {
		size := int(binary.BigEndian.Uint32(b[off:]))
		if string(b[off+4:off+8]) == typ {
			return off + 8, off + size
		}
		if size < 8 {
			break
		}
		off += size
	}
	return 0, 0
}

func cleanMP4(t *testing.T, in []byte) ([]byte, VideoInfo) {
	t.Helper()
	var out bytes.Buffer
	info, err := CleanMP4(bytes.NewReader(in), int64(len(in)), &out)
	if err != nil {
		t.Fatalf("CleanMP4: %v", err)
	}
	return out.Bytes(), info
}

func TestCleanMP4(t *testing.T) {
	wantInfo := VideoInfo{Duration: 4500 * time.Millisecond, Width: 1080, Height: 1920, Rotation: 90, HasVideo: true, HasAudio: true}
	tests := []struct {
		file     string
		wantTop  []string
		wantMoov []string
	}{
		{"gps.mp4", []string{"ftyp", "moov", "free", "free", "mdat"},
			[]string{"mvhd", "trak", "trak", "free", "free", "free"}},
		{"gps-mdat-first.mp4", []string{"ftyp", "mdat", "moov", "free", "free"},
			[]string{"mvhd", "trak", "trak", "free", "free", "free"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := readCorpus(t, tt.file)
			assertPlanted(t, tt.file, in, secret, coords, "\xa9xyz", "udta", "com.apple.quicktime.location",
				"xmpmeta", "\xde\xc0\xde\x42")
			out, info := cleanMP4(t, in)
			if len(out) != len(in) {
				t.Fatalf("output is %d bytes, input %d: boxes must keep their size", len(out), len(in))
			}
			assertClean(t, "mp4", out)
			if info != wantInfo {
				t.Errorf("info = %+v, want %+v", info, wantInfo)
			}
			// The chunk offsets were not touched, so the samples must not have moved.
			for _, s := range []string{"VIDEOFRAME-0", "VIDEOFRAME-1", "AUDIOFRAME-0", "AUDIOFRAME-1"} {
				if i, j := bytes.Index(in, []byte(s)), bytes.Index(out, []byte(s)); i < 0 || i != j {
					t.Errorf("sample %s at %d in the input, %d in the output", s, i, j)
				}
			}
			if got := strings.Join(boxTypes(t, out, 0, len(out)), " "); got != strings.Join(tt.wantTop, " ") {
				t.Errorf("top-level boxes %q, want %q", got, strings.Join(tt.wantTop, " "))
			}
			start, end := findBox(out, "moov")
			if got := strings.Join(boxTypes(t, out, start, end), " "); got != strings.Join(tt.wantMoov, " ") {
				t.Errorf("moov boxes %q, want %q", got, strings.Join(tt.wantMoov, " "))
			}
			// Cleaning what we wrote changes nothing: it is already clean and well formed.
			again, info2 := cleanMP4(t, out)
			if !bytes.Equal(again, out) || info2 != info {
				t.Errorf("second pass changed the file or the info (%+v)", info2)
			}
		})
	}
}

func TestCleanMP4LargeSizeBox(t *testing.T) {
	in := readCorpus(t, "gps.mp4")
	large := binary.BigEndian.AppendUint32(nil, 1)
	large = append(large, "uuid"...)
	large = binary.BigEndian.AppendUint64(large, uint64(16+16+len(secret)))
	large = append(large, xmpUUID[:]...)
	large = append(large, secret...)
	in = append(append([]byte{}, in...), large...)
	out, _ := cleanMP4(t, in)
	tail := out[len(out)-len(large):]
	if string(tail[4:8]) != "free" || binary.BigEndian.Uint32(tail) != 1 || binary.BigEndian.Uint64(tail[8:]) != uint64(len(large)) {
		t.Errorf("large box became % x", tail[:16])
	}
	if bytes.ContainsAny(tail[16:], "\x01\xbe"+secret) {
		t.Errorf("large box payload not zeroed: % x", tail[16:])
	}
}

// failWriter fails the test on any write: a refused file must not be half written.
type failWriter struct{ t *testing.T }

func (w failWriter) Write(p []byte) (int, error) {
	w.t.Errorf("wrote %d bytes before refusing the file", len(p))
	return 0, io.ErrClosedPipe
}

func TestCleanMP4Errors(t *testing.T) {
	ft := isoBox("ftyp", []byte("isom\x00\x00\x02\x00isom"))
	mvhd := isoBox("mvhd", u32(0, 0, 0, 1000, 1000), make([]byte, 80))
	nested := isoBox("stbl")
	for i := 0; i < 20; i++ {
		nested = isoBox("minf", nested)
	}
	deep := isoBox("moov", mvhd, isoBox("trak", isoBox("mdia", nested)))
	metaTrak := trakBox(1, mp4Track{"meta", []string{"x"}}, []uint32{0}, identity, 0, 0)
	manyBoxes := isoBox("moov", bytes.Repeat(isoBox("free"), maxBoxes+1))
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"truncated", readCorpus(t, "truncated.mp4"), ErrCorrupt},
		{"jpeg", readCorpus(t, "exif-gps.jpg"), ErrUnsupported},
		{"heic", append(ftyp("heic", "mif1", "heic"), isoBox("meta")...), ErrUnsupported},
		{"no movie box", append(ft, isoBox("mdat", []byte("x"))...), ErrCorrupt},
		{"two movie boxes", bytes.Join([][]byte{ft, isoBox("moov", mvhd), isoBox("moov", mvhd)}, nil), ErrCorrupt},
		{"box smaller than its header", append(ft, isoBox("moov", mvhd, u32(4), []byte("free"))...), ErrCorrupt},
		{"box larger than its parent", append(ft, isoBox("moov", u32(1000), []byte("trak"))...), ErrCorrupt},
		{"header cut", append(ft, 0, 0, 0), ErrCorrupt},
		{"box larger than the file", append(ft, append(u32(1<<30), "mdat"...)...), ErrCorrupt},
		{"open-ended box inside moov", append(ft, isoBox("moov", u32(0), []byte("trak"))...), ErrCorrupt},
		{"nested too deep", append(ft, deep...), ErrCorrupt},
		{"too many boxes", append(ft, manyBoxes...), ErrCorrupt},
		{"compressed movie header", append(ft, isoBox("moov", isoBox("cmov", []byte("zlib")))...), ErrUnsupported},
		{"short mvhd", append(ft, isoBox("moov", isoBox("mvhd", u32(0)))...), ErrCorrupt},
		{"metadata samples outside mdat", bytes.Join([][]byte{ft, isoBox("moov", mvhd, metaTrak), isoBox("mdat", []byte("x"))}, nil), ErrCorrupt},
		{"fragmented with a metadata track", bytes.Join([][]byte{ft, isoBox("moov", mvhd, isoBox("trak",
			isoBox("mdia", isoBox("hdlr", u32(0, 0), []byte("meta"), u32(0, 0, 0))))), isoBox("moof"), isoBox("mdat")}, nil), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CleanMP4(bytes.NewReader(tt.data), int64(len(tt.data)), failWriter{t})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// A reader shorter than the size given, as a file truncated under the caller would be.
func TestCleanMP4ReaderShorterThanSize(t *testing.T) {
	in := readCorpus(t, "gps.mp4")
	_, err := CleanMP4(bytes.NewReader(in[:len(in)-5]), int64(len(in)), io.Discard)
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("err = %v, want %v", err, ErrCorrupt)
	}
}
