package blob

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func newLocalFixture(t *testing.T) fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "media")
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return fixture{store: l, entries: func(t *testing.T) []string { return walkFiles(t, dir) }}
}

// walkFiles lists every non-directory entry under dir, hidden and temporary
// files included, sorted.
func walkFiles(t *testing.T, dir string) []string {
	t.Helper()
	var got []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	slices.Sort(got)
	return got
}

func TestLocal(t *testing.T) {
	testStore(t, newLocalFixture)
}

func TestLocalLayoutAndPermissions(t *testing.T) {
	f := newLocalFixture(t)
	mustPut(t, f.store, "media/ab/cd.jpg", []byte("jpeg"), "image/jpeg")
	if got, want := f.entries(t), []string{"media/ab/cd.jpg", "media/ab/cd.jpg~type"}; !slices.Equal(got, want) {
		t.Errorf("entries: got %q, want %q", got, want)
	}
	root := f.store.(*Local).root.Name()
	for _, c := range []struct {
		name string
		dir  bool
	}{
		{".", true}, {"media", true}, {"media/ab", true},
		{"media/ab/cd.jpg", false}, {"media/ab/cd.jpg~type", false},
	} {
		fi, err := os.Stat(filepath.Join(root, c.name))
		if err != nil {
			t.Fatalf("stat %s: %v", c.name, err)
		}
		if fi.IsDir() != c.dir || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: got mode %v, want a private (no group/other bits) %s", c.name, fi.Mode(), map[bool]string{true: "directory", false: "file"}[c.dir])
		}
	}
}

func TestLocalRefusesSymlinks(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	if err := os.WriteFile(secret, []byte("top secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newLocalFixture(t)
	mustPut(t, f.store, "media/inside.jpg", []byte("inside"), "image/jpeg")
	root := f.store.(*Local).root.Name()
	plant := func(target, link string) {
		t.Helper()
		p := filepath.Join(root, link)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("cannot create symlinks here: %v", err)
		}
	}
	plant(secret, "media/leak.jpg") // absolute, outside the root
	rel, err := filepath.Rel(filepath.Join(root, "media"), secret)
	if err != nil {
		t.Fatal(err)
	}
	plant(rel, "media/rel.jpg")            // relative, climbing out
	plant(outside, "escape")               // a directory outside
	plant("inside.jpg", "media/alias.jpg") // inside the root, still refused

	ctx := context.Background()
	for _, key := range []string{"media/leak.jpg", "media/rel.jpg", "escape/secret.txt", "media/alias.jpg"} {
		if obj, err := f.store.Open(ctx, key); err == nil {
			obj.Close()
			t.Errorf("Open(%q): got an object, want an error", key)
		}
		if _, err := f.store.Stat(ctx, key); err == nil {
			t.Errorf("Stat(%q): got nil error, want one", key)
		}
	}
	// Writing through a planted directory link must not land outside either.
	if err := f.store.Put(ctx, "escape/new.txt", strings.NewReader(""), 0, "text/plain"); err == nil {
		t.Errorf("Put through escaping link: got nil error, want one")
	}
	if _, err := os.Stat(filepath.Join(outside, "new.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file written outside the root: stat got %v", err)
	}
	if got := readKey(t, f.store, "media/inside.jpg"); string(got) != "inside" {
		t.Errorf("regular object: got %q, want %q", got, "inside")
	}
}

func TestLocalMissingSidecarServesAsDownload(t *testing.T) {
	f := newLocalFixture(t)
	mustPut(t, f.store, "doc.pdf", []byte("%PDF-"), "application/pdf")
	root := f.store.(*Local).root.Name()
	if err := os.Remove(filepath.Join(root, "doc.pdf~type")); err != nil {
		t.Fatal(err)
	}
	info, err := f.store.Stat(context.Background(), "doc.pdf")
	if err != nil || info.ContentType != "application/octet-stream" {
		t.Errorf("Stat: got %+v, %v; want application/octet-stream", info, err)
	}
}

func TestLocalKeyUnderFile(t *testing.T) {
	f := newLocalFixture(t)
	mustPut(t, f.store, "a", []byte("file"), "text/plain")
	if _, err := f.store.Open(context.Background(), "a/b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(a/b) with a a file: got %v, want ErrNotFound", err)
	}
}
