package blob

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"
)

// Local stores objects as files under a root directory, typically inside the
// server's data directory. All file access goes through an [os.Root], so no
// key and no symlink planted in the tree can reach a file outside the root.
//
// The content type given to Put is kept in a sidecar file named key+"~type".
// "~" is outside the key alphabet, so sidecars and the temporary files of
// Put ("."-led) can never be addressed as keys.
//
// Directories made for keys are left in place when their objects are
// deleted or a Put fails: removing them would race with a concurrent Put
// into the same directory, and empty directories cost nothing.
type Local struct {
	root *os.Root
}

var _ Store = (*Local)(nil)

const (
	dirPerm     = 0o700
	filePerm    = 0o600
	typeSuffix  = "~type"
	maxTypeFile = 512
)

// NewLocal opens (creating it with mode 0700 if needed) the directory dir as
// a Local store. The caller must Close the store when done.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("blob: creating store directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: opening store directory: %w", err)
	}
	return &Local{root: root}, nil
}

// Close releases the store's directory handle. Objects already opened stay
// readable.
func (l *Local) Close() error { return l.root.Close() }

// Put implements [Store.Put]. The content goes to a temporary file next to
// its final name, is fsynced, then renamed over the key, and the directory is
// fsynced: a crash leaves the old object or the new one, never a torn file.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	contentType, err := checkPut(key, size, contentType)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := path.Dir(key)
	if dir != "." {
		if err := l.root.MkdirAll(dir, dirPerm); err != nil {
			return fmt.Errorf("blob: creating directory: %w", err)
		}
	}
	dataTmp, err := l.writeTemp(key, newExactReader(ctx, r, size))
	if err != nil {
		return err
	}
	defer l.root.Remove(dataTmp) // no-op once renamed
	typeTmp, err := l.writeTemp(key+typeSuffix, strings.NewReader(contentType))
	if err != nil {
		return err
	}
	defer l.root.Remove(typeTmp)

	// Both files are durable before either becomes visible. The type goes
	// first: should the data rename then fail, a new key is left without
	// data (Open says not found) rather than with data typed by a stale
	// sidecar. For a new key the orphan sidecar is removed below.
	_, statErr := l.root.Lstat(key)
	existed := statErr == nil
	if err := l.root.Rename(typeTmp, key+typeSuffix); err != nil {
		return fmt.Errorf("blob: storing content type: %w", err)
	}
	if err := l.root.Rename(dataTmp, key); err != nil {
		if !existed {
			_ = l.root.Remove(key + typeSuffix)
		}
		return fmt.Errorf("blob: storing object: %w", err)
	}
	return l.syncDir(dir)
}

// writeTemp writes r to a new file in the directory of name and returns the
// file's name; on error nothing is left behind.
func (l *Local) writeTemp(name string, r io.Reader) (string, error) {
	tmp := path.Join(path.Dir(name), "."+path.Base(name)+"~"+rand.Text())
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return "", fmt.Errorf("blob: creating temporary file: %w", err)
	}
	fail := func(err error) (string, error) {
		_ = f.Close()
		_ = l.root.Remove(tmp)
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("blob: syncing file: %w", err))
	}
	if err := f.Close(); err != nil {
		_ = l.root.Remove(tmp)
		return "", fmt.Errorf("blob: closing file: %w", err)
	}
	return tmp, nil
}

// syncDir makes a rename in dir durable.
func (l *Local) syncDir(dir string) error {
	d, err := l.root.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: opening directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: syncing directory: %w", err)
	}
	return nil
}

// Open implements [Store.Open]. A key whose final name is not a regular file
// (a symlink, a directory) is refused with an error that is not ErrNotFound:
// the server never makes such entries, so one is worth an alarm.
func (l *Local) Open(ctx context.Context, key string) (Object, error) {
	f, fi, err := l.openRegular(ctx, key)
	if err != nil {
		return nil, err
	}
	return &localObject{File: f, size: fi.Size(), mod: fi.ModTime(), ctype: l.readType(key)}, nil
}

// Stat implements [Store.Stat].
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	f, fi, err := l.openRegular(ctx, key)
	if err != nil {
		return Info{}, err
	}
	_ = f.Close()
	return Info{Size: fi.Size(), ModTime: fi.ModTime(), ContentType: l.readType(key)}, nil
}

// openRegular opens key only if it names a regular file. os.Root already
// keeps symlinks from leading outside the root; the Lstat before and the
// SameFile after also refuse a symlink inside it, even one swapped in
// between the two calls.
func (l *Local) openRegular(ctx context.Context, key string) (*os.File, fs.FileInfo, error) {
	if err := ValidateKey(key); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	lfi, err := l.root.Lstat(key)
	if err != nil {
		return nil, nil, mapLocalErr(err)
	}
	if !lfi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("blob: %q is not a regular file (%v)", key, lfi.Mode().Type())
	}
	f, err := l.root.Open(key)
	if err != nil {
		return nil, nil, mapLocalErr(err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("blob: stat: %w", err)
	}
	if !os.SameFile(lfi, fi) {
		_ = f.Close()
		return nil, nil, fmt.Errorf("blob: %q changed while being opened", key)
	}
	return f, fi, nil
}

// readType returns the recorded content type, or the download-only default
// when the sidecar is missing or unreadable: serving bytes as a download is
// always safe, guessing a renderable type is not.
func (l *Local) readType(key string) string {
	f, err := l.root.Open(key + typeSuffix)
	if err != nil {
		return defaultContentType
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTypeFile))
	if err != nil {
		return defaultContentType
	}
	ct, err := checkContentType(string(b))
	if err != nil {
		return defaultContentType
	}
	return ct
}

// Delete implements [Store.Delete].
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, name := range []string{key, key + typeSuffix} {
		if err := l.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: deleting: %w", err)
		}
	}
	return nil
}

func mapLocalErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	// A key like "a/b" where "a" is a file, not a directory.
	if errors.Is(err, syscall.ENOTDIR) {
		return ErrNotFound
	}
	return fmt.Errorf("blob: %w", err)
}

type localObject struct {
	*os.File
	size  int64
	mod   time.Time
	ctype string
}

func (o *localObject) Size() int64         { return o.size }
func (o *localObject) ModTime() time.Time  { return o.mod }
func (o *localObject) ContentType() string { return o.ctype }
