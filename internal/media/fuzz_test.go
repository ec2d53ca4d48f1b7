package media

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz targets run as ordinary tests on their seeds; to fuzz, for example:
// go test -run '^$' -fuzz FuzzCleanImage -fuzztime 30s ./internal/media/

func seedCorpus(f *testing.F, exts ...string) {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range names {
		for _, e := range exts {
			if strings.HasSuffix(n, e) {
				b, err := os.ReadFile(n)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
}

var sentinels = []error{ErrEmpty, ErrTooLarge, ErrDimensions, ErrUnsupported, ErrMismatch, ErrCorrupt}

// checkSentinel fails unless err is nil or one of ours; a recovered decoder panic is a
// finding too, though users never see it as one.
func checkSentinel(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), "decoder panic") {
		t.Fatalf("decoder panicked: %v", err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

func FuzzCleanImage(f *testing.F) {
	seedCorpus(f, ".jpg", ".png", ".gif", ".webp", ".bin", ".svg")
	// Small caps keep each run fast; the checks are the same.
	opts := ImageOptions{MaxBytes: 1 << 20, MaxSide: 256, ThumbSide: 64, MaxPixels: 1 << 20, MaxGIFPixels: 1 << 22, MaxFrames: 64}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := opts.Clean(bytes.NewReader(data))
		checkSentinel(t, err)
		if err != nil {
			return
		}
		if got.Width > 256 || got.Height > 256 || got.Width < 1 || got.Height < 1 {
			t.Fatalf("output %dx%d", got.Width, got.Height)
		}
		if k := Sniff(got.Bytes); k != got.MIME {
			t.Fatalf("output sniffs as %s, labelled %s", k, got.MIME)
		}
		if k := Sniff(got.Thumbnail.Bytes); k != got.Thumbnail.MIME {
			t.Fatalf("thumbnail sniffs as %s, labelled %s", k, got.Thumbnail.MIME)
		}
	})
}

func FuzzCleanMP4(f *testing.F) {
	seedCorpus(f, ".mp4")
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		info, err := CleanMP4(bytes.NewReader(data), int64(len(data)), &out)
		checkSentinel(t, err)
		if err != nil {
			if out.Len() != 0 {
				t.Fatalf("refused, yet wrote %d bytes", out.Len())
			}
			return
		}
		if out.Len() != len(data) {
			t.Fatalf("output %d bytes, input %d", out.Len(), len(data))
		}
		var again bytes.Buffer
		info2, err := CleanMP4(bytes.NewReader(out.Bytes()), int64(out.Len()), &again)
		if err != nil || info2 != info || !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("cleaning the output again: %v, info %+v vs %+v, changed %v", err, info2, info,
				!bytes.Equal(again.Bytes(), out.Bytes()))
		}
	})
}

func FuzzCleanWebM(f *testing.F) {
	seedCorpus(f, ".webm")
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		_, err := CleanWebM(bytes.NewReader(data), int64(len(data)), &out)
		checkSentinel(t, err)
		if err == nil && out.Len() != len(data) {
			t.Fatalf("output %d bytes, input %d", out.Len(), len(data))
		}
	})
}

func FuzzDetect(f *testing.F) {
	seedCorpus(f, "")
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := Detect(data, "image/png", "upload.png")
		checkSentinel(t, err)
		if err == nil && k.Family() != FamilyImage {
			t.Fatalf("an upload claiming PNG passed as %s", k)
		}
		if k := Sniff(data); k.Family() == FamilyActive && k.Inline() {
			t.Fatalf("%s is inline", k)
		}
	})
}
