package media

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// countingReader is an endless stream that counts what was read from it.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func TestReadAllStopsAtLimit(t *testing.T) {
	endless := &countingReader{}
	_, err := ReadAll(endless, 1000)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want %v", err, ErrTooLarge)
	}
	if endless.n != 1001 {
		t.Errorf("read %d bytes from an endless stream, want 1001", endless.n)
	}
}

func TestReadAll(t *testing.T) {
	tests := []struct {
		name  string
		size  int
		limit int64
		want  error
	}{
		{"under", 999, 1000, nil},
		{"exactly the limit", 1000, 1000, nil},
		{"one over", 1001, 1000, ErrTooLarge},
		{"empty", 0, 1000, ErrEmpty},
	}
	for _, tt := range tests {
		b, err := ReadAll(bytes.NewReader(make([]byte, tt.size)), tt.limit)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if err == nil && len(b) != tt.size {
			t.Errorf("%s: got %d bytes, want %d", tt.name, len(b), tt.size)
		}
	}
}

func TestCopy(t *testing.T) {
	var buf bytes.Buffer
	if n, err := Copy(&buf, strings.NewReader("hello"), 5); err != nil || n != 5 || buf.String() != "hello" {
		t.Errorf("Copy = %d, %v, %q", n, err, buf.String())
	}
	if _, err := Copy(io.Discard, strings.NewReader("hello!"), 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want %v", err, ErrTooLarge)
	}
	if _, err := Copy(io.Discard, iotestErr{}, 5); err == nil || MessageKey(err) != "" {
		t.Errorf("reader error = %v, want it passed through", err)
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestReadHead(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), SniffLen)
	head, all, err := ReadHead(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(head) != SniffLen || !bytes.Equal(head, data[:SniffLen]) {
		t.Errorf("head is %d bytes, want the first %d", len(head), SniffLen)
	}
	if got, _ := io.ReadAll(all); !bytes.Equal(got, data) {
		t.Errorf("the stream after ReadHead has %d bytes, want all %d", len(got), len(data))
	}
	head, all, err = ReadHead(strings.NewReader("short"))
	if got, _ := io.ReadAll(all); err != nil || string(head) != "short" || string(got) != "short" {
		t.Errorf("short stream: %q, %q, %v", head, got, err)
	}
	if _, _, err := ReadHead(strings.NewReader("")); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty stream: err = %v, want %v", err, ErrEmpty)
	}
}

func TestLimitsFor(t *testing.T) {
	d := DefaultLimits()
	if d.Image != 16<<20 || d.Video != 100<<20 || d.Audio != 40<<20 || d.File != 50<<20 {
		t.Errorf("defaults %+v", d)
	}
	custom := Limits{Image: 1, Video: 2, Audio: 3, File: 4}
	tests := []struct {
		l    Limits
		k    Kind
		want int64
	}{
		{Limits{}, KindPNG, 16 << 20},
		{Limits{}, KindWebM, 100 << 20},
		{Limits{}, KindMP3, 40 << 20},
		{Limits{}, KindDOCX, 50 << 20},
		{Limits{}, KindHTML, 50 << 20},
		{custom, KindGIF, 1},
		{custom, KindMP4, 2},
		{custom, KindOgg, 3},
		{custom, KindCSV, 4},
		{Limits{Video: 7}, KindJPEG, 16 << 20},
	}
	for _, tt := range tests {
		if got := tt.l.For(tt.k); got != tt.want {
			t.Errorf("%+v.For(%s) = %d, want %d", tt.l, tt.k, got, tt.want)
		}
	}
}
