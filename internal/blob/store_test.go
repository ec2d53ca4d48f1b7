package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// fixture is one Store under test plus a view of everything its backing
// storage holds (files, sidecars and temporaries for Local; objects for S3),
// so tests can assert that a failed Put left nothing behind.
type fixture struct {
	store   Store
	entries func(t *testing.T) []string
}

// testStore runs the behaviours every Store must have. Each subtest gets a
// fresh, empty store from newFixture.
func testStore(t *testing.T, newFixture func(t *testing.T) fixture) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, f fixture)
	}{
		{"RoundTrip", func(t *testing.T, f fixture) {
			data := randomBytes(1, 10_000)
			mustPut(t, f.store, "media/ab/cdef-orig.jpg", data, "image/jpeg")
			obj, err := f.store.Open(ctx, "media/ab/cdef-orig.jpg")
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer obj.Close()
			got, err := io.ReadAll(obj)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("content: got %d bytes, want the %d put", len(got), len(data))
			}
			if obj.Size() != int64(len(data)) || obj.ContentType() != "image/jpeg" || obj.ModTime().IsZero() {
				t.Errorf("object: got size %d type %q time %v, want %d image/jpeg non-zero", obj.Size(), obj.ContentType(), obj.ModTime(), len(data))
			}
			info, err := f.store.Stat(ctx, "media/ab/cdef-orig.jpg")
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if info.Size != int64(len(data)) || info.ContentType != "image/jpeg" || !info.ModTime.Equal(obj.ModTime()) {
				t.Errorf("Stat: got %+v, want size %d, image/jpeg, time %v", info, len(data), obj.ModTime())
			}
		}},
		{"EmptyObjectAndDefaultType", func(t *testing.T, f fixture) {
			mustPut(t, f.store, "empty", nil, "")
			if got := readKey(t, f.store, "empty"); len(got) != 0 {
				t.Errorf("content: got %q, want empty", got)
			}
			info, err := f.store.Stat(ctx, "empty")
			if err != nil || info.Size != 0 || info.ContentType != "application/octet-stream" {
				t.Errorf("Stat: got %+v, %v; want size 0, application/octet-stream", info, err)
			}
		}},
		{"Overwrite", func(t *testing.T, f fixture) {
			mustPut(t, f.store, "a/b.png", []byte("first version"), "image/png")
			mustPut(t, f.store, "a/b.png", []byte("second"), "image/webp")
			if got := readKey(t, f.store, "a/b.png"); string(got) != "second" {
				t.Errorf("content: got %q, want %q", got, "second")
			}
			if info, _ := f.store.Stat(ctx, "a/b.png"); info.ContentType != "image/webp" || info.Size != 6 {
				t.Errorf("Stat: got %+v, want size 6 image/webp", info)
			}
		}},
		{"Missing", func(t *testing.T, f fixture) {
			if _, err := f.store.Open(ctx, "media/no/such.jpg"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open: got %v, want ErrNotFound", err)
			}
			if _, err := f.store.Stat(ctx, "media/no/such.jpg"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Stat: got %v, want ErrNotFound", err)
			}
			if err := f.store.Delete(ctx, "media/no/such.jpg"); err != nil {
				t.Errorf("Delete: got %v, want nil", err)
			}
		}},
		{"Delete", func(t *testing.T, f fixture) {
			mustPut(t, f.store, "x/y.txt", []byte("bye"), "text/plain")
			if err := f.store.Delete(ctx, "x/y.txt"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := f.store.Open(ctx, "x/y.txt"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open after Delete: got %v, want ErrNotFound", err)
			}
			if err := f.store.Delete(ctx, "x/y.txt"); err != nil {
				t.Errorf("second Delete: got %v, want nil", err)
			}
			if got := f.entries(t); len(got) != 0 {
				t.Errorf("entries after Delete: got %q, want none", got)
			}
		}},
		{"BadKeys", func(t *testing.T, f fixture) {
			for _, key := range badKeys {
				if err := f.store.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"); !errors.Is(err, ErrBadKey) {
					t.Errorf("Put(%q): got %v, want ErrBadKey", key, err)
				}
				if _, err := f.store.Open(ctx, key); !errors.Is(err, ErrBadKey) {
					t.Errorf("Open(%q): got %v, want ErrBadKey", key, err)
				}
				if _, err := f.store.Stat(ctx, key); !errors.Is(err, ErrBadKey) {
					t.Errorf("Stat(%q): got %v, want ErrBadKey", key, err)
				}
				if err := f.store.Delete(ctx, key); !errors.Is(err, ErrBadKey) {
					t.Errorf("Delete(%q): got %v, want ErrBadKey", key, err)
				}
			}
			if got := f.entries(t); len(got) != 0 {
				t.Errorf("entries: got %q, want none", got)
			}
		}},
		{"BadArguments", func(t *testing.T, f fixture) {
			if err := f.store.Put(ctx, "k", strings.NewReader(""), -1, "text/plain"); !errors.Is(err, ErrSizeMismatch) {
				t.Errorf("negative size: got %v, want ErrSizeMismatch", err)
			}
			for _, ct := range []string{"text/html\r\nX-Evil: 1", "not a type", "image/jpeg; charset"} {
				if err := f.store.Put(ctx, "k", strings.NewReader("x"), 1, ct); !errors.Is(err, ErrBadContentType) {
					t.Errorf("content type %q: got %v, want ErrBadContentType", ct, err)
				}
			}
			if got := f.entries(t); len(got) != 0 {
				t.Errorf("entries: got %q, want none", got)
			}
		}},
		{"FailedPutLeavesNothing", func(t *testing.T, f fixture) {
			mustPut(t, f.store, "keep/old.jpg", []byte("old content"), "image/jpeg")
			before := f.entries(t)
			errBoom := errors.New("disk on fire")
			data := randomBytes(2, 200_000)
			for _, c := range []struct {
				name string
				r    func(cancel context.CancelFunc) io.Reader
				size int64
				want error
			}{
				{"reader fails midway", func(context.CancelFunc) io.Reader {
					return io.MultiReader(bytes.NewReader(data[:100_000]), errReader{errBoom})
				}, int64(len(data)), errBoom},
				{"reader short", func(context.CancelFunc) io.Reader {
					return bytes.NewReader(data[:150_000])
				}, int64(len(data)), ErrSizeMismatch},
				{"reader long", func(context.CancelFunc) io.Reader {
					return bytes.NewReader(data)
				}, int64(len(data) - 1), ErrSizeMismatch},
				{"context cancelled midway", func(cancel context.CancelFunc) io.Reader {
					return io.MultiReader(bytes.NewReader(data[:100_000]), cancelReader{cancel}, bytes.NewReader(data[100_000:]))
				}, int64(len(data)), context.Canceled},
			} {
				for _, key := range []string{"new/file.jpg", "keep/old.jpg"} {
					cctx, cancel := context.WithCancel(ctx)
					err := f.store.Put(cctx, key, c.r(cancel), c.size, "image/jpeg")
					cancel()
					if !errors.Is(err, c.want) {
						t.Errorf("%s, %s: got %v, want %v", c.name, key, err, c.want)
					}
				}
				if got := f.entries(t); !slices.Equal(got, before) {
					t.Errorf("%s: entries got %q, want %q", c.name, got, before)
				}
				if got := readKey(t, f.store, "keep/old.jpg"); string(got) != "old content" {
					t.Errorf("%s: old object got %q, want it untouched", c.name, got)
				}
				if _, err := f.store.Stat(ctx, "new/file.jpg"); !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: new key Stat got %v, want ErrNotFound", c.name, err)
				}
			}
		}},
		{"SeekAndRange", func(t *testing.T, f fixture) {
			data := randomBytes(3, 300_000)
			mustPut(t, f.store, "v/clip.mp4", data, "video/mp4")
			obj, err := f.store.Open(ctx, "v/clip.mp4")
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer obj.Close()
			for _, s := range []struct {
				off    int64
				whence int
				n      int
				at     int
			}{
				{1000, io.SeekStart, 500, 1000},
				{-10, io.SeekEnd, 10, len(data) - 10},
				{250_000, io.SeekStart, 40_000, 250_000},
				{0, io.SeekStart, 3, 0},
			} {
				pos, err := obj.Seek(s.off, s.whence)
				if err != nil || pos != int64(s.at) {
					t.Fatalf("Seek(%d, %d): got %d, %v; want %d", s.off, s.whence, pos, err, s.at)
				}
				got := make([]byte, s.n)
				if _, err := io.ReadFull(obj, got); err != nil {
					t.Fatalf("read at %d: %v", s.at, err)
				}
				if !bytes.Equal(got, data[s.at:s.at+s.n]) {
					t.Errorf("bytes at %d..%d differ from those put", s.at, s.at+s.n)
				}
			}
		}},
		{"ServeContentRange", func(t *testing.T, f fixture) {
			data := randomBytes(4, 50_000)
			mustPut(t, f.store, "v/song.webm", data, "audio/webm")
			obj, err := f.store.Open(ctx, "v/song.webm")
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer obj.Close()
			req := httptest.NewRequest("GET", "/m", nil)
			req.Header.Set("Range", "bytes=40000-40099")
			rec := httptest.NewRecorder()
			rec.Header().Set("Content-Type", obj.ContentType())
			http.ServeContent(rec, req, "", obj.ModTime(), obj)
			if rec.Code != http.StatusPartialContent {
				t.Fatalf("status: got %d, want 206", rec.Code)
			}
			if got, want := rec.Header().Get("Content-Range"), fmt.Sprintf("bytes 40000-40099/%d", len(data)); got != want {
				t.Errorf("Content-Range: got %q, want %q", got, want)
			}
			if !bytes.Equal(rec.Body.Bytes(), data[40000:40100]) {
				t.Errorf("body: got %d bytes not matching the range put", rec.Body.Len())
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newFixture(t))
		})
	}
}

var badKeys = []string{
	"",
	"/media/a.jpg",
	"media/../../etc/passwd",
	"..",
	"media/..",
	"a..b",
	"media//a.jpg",
	"media/a.jpg/",
	".hidden",
	"media/.a.jpg~x",
	"media/a.jpg~type",
	"Media/A.JPG",
	"media/a b.jpg",
	"media\\a.jpg",
	"media/a.jpg\x00",
	"media/é.jpg",
	"media/a.jpg?x=1",
	strings.Repeat("a", MaxKeyLen+1),
}

func TestValidateKey(t *testing.T) {
	for _, key := range badKeys {
		if err := ValidateKey(key); !errors.Is(err, ErrBadKey) {
			t.Errorf("ValidateKey(%q): got %v, want ErrBadKey", key, err)
		}
	}
	for _, key := range []string{"a", "media/ab/cdef0123-orig.jpg", "media/ab/x_y-z.thumb.webp", strings.Repeat("a", MaxKeyLen)} {
		if err := ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q): got %v, want nil", key, err)
		}
	}
}

func mustPut(t *testing.T, s Store, key string, data []byte, contentType string) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func readKey(t *testing.T, s Store, key string) []byte {
	t.Helper()
	obj, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("reading %q: %v", key, err)
	}
	return b
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// cancelReader cancels the Put's context when the upload reaches it, then
// yields nothing, so the next read from the store sees a done context.
type cancelReader struct{ cancel context.CancelFunc }

func (r cancelReader) Read([]byte) (int, error) {
	r.cancel()
	return 0, io.EOF
}

// TestExactReaderWithReadFull checks the failure modes through io.ReadFull,
// the way the S3 client consumes Put's reader: ReadFull drops an error that
// arrives together with the bytes it asked for, so none may.
func TestExactReaderWithReadFull(t *testing.T) {
	errBoom := errors.New("boom")
	data := []byte("0123456789")
	for _, c := range []struct {
		name string
		r    io.Reader
		size int64
		want error
	}{
		{"exact", bytes.NewReader(data), 10, nil},
		{"exact, EOF with data", iotest.DataErrReader(bytes.NewReader(data)), 10, nil},
		{"exact, one byte at a time", iotest.OneByteReader(bytes.NewReader(data)), 10, nil},
		{"error with the last bytes", &lastErrReader{data: data, err: errBoom}, 10, errBoom},
		{"one byte more", bytes.NewReader(data), 9, ErrSizeMismatch},
		{"one byte less", bytes.NewReader(data), 11, ErrSizeMismatch},
		{"empty but has data", bytes.NewReader(data), 0, ErrSizeMismatch},
		{"timeout midway", iotest.TimeoutReader(bytes.NewReader(data)), 10, iotest.ErrTimeout},
	} {
		buf := make([]byte, c.size)
		_, err := io.ReadFull(newExactReader(context.Background(), c.r, c.size), buf)
		if err == nil && c.size == 0 {
			// ReadFull reads nothing for an empty buffer; ask explicitly.
			_, err = newExactReader(context.Background(), c.r, c.size).Read(make([]byte, 1))
			if err == io.EOF {
				err = nil
			}
		}
		if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if err == nil && !bytes.Equal(buf, data[:c.size]) {
			t.Errorf("%s: got %q, want %q", c.name, buf, data[:c.size])
		}
	}
}

// lastErrReader returns all its data in one Read, together with err.
type lastErrReader struct {
	data []byte
	err  error
}

func (r *lastErrReader) Read(p []byte) (int, error) {
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, r.err
	}
	return n, nil
}
