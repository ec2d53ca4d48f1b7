package ruche

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/blob"
	"github.com/ruche-hive/ruche/internal/media"
)

// Uploads are read into a temporary file (bounded by the limit of the kind their first
// bytes show), then cleaned. Right away when the caller waits (the web UI, the client
// API's v1), else by a job (v2): the raw upload goes to the blob store so that any node
// can process it, and is deleted once the clean copy is stored. A failure leaves no
// file behind under a key the row names.

// Upload takes in u's file. With wait, it is cleaned before Upload returns, and a
// file that cannot be is refused (CodeInvalid, with the reason); without, it is
// queued and comes back processing (Mastodon's 202), to be polled with Get.
func (m *Media) Upload(ctx context.Context, u User, up Upload, wait bool) (Attachment, error) {
	description, fx, fy, err := validDescription(up.Description, up.FocusX, up.FocusY)
	if err != nil {
		return Attachment{}, err
	}
	head, all, err := media.ReadHead(up.Body)
	if err != nil {
		return Attachment{}, m.refusal(err, 0)
	}
	kind, err := media.Detect(head, up.Type, up.Name)
	if err != nil {
		return Attachment{}, m.refusal(err, 0)
	}
	limit := m.Limits.For(kind)
	tmp, size, err := m.spool(all, limit)
	if err != nil {
		return Attachment{}, m.refusal(err, limit)
	}
	defer removeTemp(tmp)
	rec := MediaRecord{Attachment: Attachment{AccountID: u.ID, Kind: kindOf(kind), MIME: string(kind), Name: fileName(up.Name, kind),
		Size: size, Description: description, FocusX: fx, FocusY: fy}}
	dir := "media/" + randomKey()
	if !wait {
		rec.State, rec.RawKey = MediaProcessing, dir+"/raw"
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return Attachment{}, err
		}
		if err := m.Blobs.Put(ctx, rec.RawKey, tmp, size, "application/octet-stream"); err != nil {
			return Attachment{}, err
		}
		id, err := m.Store.CreateMedia(ctx, rec)
		if err != nil {
			m.Blobs.Delete(context.WithoutCancel(ctx), rec.RawKey) //nolint:errcheck // the row was not made: nothing names the key
			return Attachment{}, err
		}
		return m.Get(ctx, u, id)
	}
	done, err := m.clean(ctx, rec, tmp, size, kind, dir)
	if err != nil {
		return Attachment{}, m.refusal(err, limit)
	}
	done.State = MediaReady
	id, err := m.Store.CreateMedia(ctx, done)
	if err != nil {
		m.deleteKeys(ctx, done.Key, done.ThumbKey)
		return Attachment{}, err
	}
	return m.Get(ctx, u, id)
}

// Process cleans a queued upload (the job's work). A file that cannot be cleaned is
// recorded as failed, with the reason; only a failure of the store or the blob store
// is returned, for the job to retry.
func (m *Media) Process(ctx context.Context, id int64) error {
	rec, err := m.Store.Media(ctx, id)
	if errors.Is(err, ErrNotFound) || err == nil && rec.State != MediaProcessing {
		return nil // deleted meanwhile, or done
	}
	if err != nil {
		return err
	}
	raw, err := m.Blobs.Open(ctx, rec.RawKey)
	if errors.Is(err, blob.ErrNotFound) {
		rec.State, rec.Error = MediaFailed, "error.media_corrupt"
		return ignoreNotFound(m.Store.MediaProcessed(ctx, rec))
	}
	if err != nil {
		return err
	}
	tmp, size, err := m.spool(raw, m.Limits.For(media.Kind(rec.MIME)))
	raw.Close()
	if err != nil {
		return err
	}
	defer removeTemp(tmp)
	head := make([]byte, 512)
	n, _ := tmp.ReadAt(head, 0)
	kind, err := media.Detect(head[:n], rec.MIME, rec.Name)
	var done MediaRecord
	if err == nil {
		// A key of this run's own: a second run of the job cannot delete the first's.
		done, err = m.clean(ctx, rec, tmp, size, kind, path.Dir(rec.RawKey)+"/"+randomKey()[:8])
	}
	if key := media.MessageKey(err); key != "" {
		rec.State, rec.Error = MediaFailed, key
		return ignoreNotFound(m.Store.MediaProcessed(ctx, rec))
	}
	if err != nil {
		return err
	}
	done.State = MediaReady
	if err := m.Store.MediaProcessed(ctx, done); err != nil {
		m.deleteKeys(ctx, done.Key, done.ThumbKey)
		return ignoreNotFound(err)
	}
	return nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// clean makes the clean copy of the upload in tmp and stores it (and its thumbnail)
// under dir; it returns rec with the keys and facts filled in.
func (m *Media) clean(ctx context.Context, rec MediaRecord, tmp *os.File, size int64, kind media.Kind, dir string) (MediaRecord, error) {
	rec.Kind, rec.MIME = kindOf(kind), string(kind)
	switch kind.Family() {
	case media.FamilyImage:
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return rec, err
		}
		img, err := media.ImageOptions{MaxBytes: m.Limits.For(kind)}.Clean(tmp)
		if err != nil {
			return rec, err
		}
		rec.MIME, rec.Size, rec.Width, rec.Height, rec.Blurhash = string(img.MIME), int64(len(img.Bytes)), img.Width, img.Height, img.Blurhash
		return m.storeImage(ctx, rec, img.Bytes, img.Thumbnail, dir)
	case media.FamilyVideo, media.FamilyAudio:
		out, err := os.CreateTemp(m.TempDir, "ruche-media-*")
		if err != nil {
			return rec, err
		}
		defer removeTemp(out)
		var info media.VideoInfo
		switch kind {
		case media.KindMP4:
			info, err = media.CleanMP4(tmp, size, out)
		case media.KindWebM:
			info, err = media.CleanWebM(tmp, size, out)
		default:
			var k media.Kind
			if k, err = media.CleanAudio(tmp, size, out); err == nil {
				rec.MIME = string(k)
			} else if errors.Is(err, media.ErrUnsupported) {
				// A sound Ruche cannot clean (Ogg) is kept as a download.
				rec.Kind = MediaFile
				return m.storeFile(ctx, rec, tmp, size, dir)
			}
		}
		if err != nil {
			return rec, err
		}
		rec.Duration, rec.Width, rec.Height = info.Duration, info.Width, info.Height
		if kind.Family() == media.FamilyVideo && !info.HasVideo {
			rec.Kind = MediaAudio
		}
		st, err := out.Stat()
		if err != nil {
			return rec, err
		}
		if rec, err = m.storeFile(ctx, rec, out, st.Size(), dir); err != nil {
			return rec, err
		}
		if rec.Kind == MediaVideo {
			m.poster(ctx, &rec, out.Name(), dir)
		}
		return rec, nil
	default:
		rec.Kind = MediaFile
		return m.storeFile(ctx, rec, tmp, size, dir)
	}
}

// poster gives a video its first frame as thumbnail, when the host has a video tool;
// without one, apps and pages show a generic poster.
func (m *Media) poster(ctx context.Context, rec *MediaRecord, file, dir string) {
	frame, err := media.Poster(ctx, file)
	if err != nil {
		if !errors.Is(err, media.ErrNoVideoTool) && m.Log != nil {
			m.Log.Warn("media: no poster frame", "media", rec.ID, "err", err)
		}
		return
	}
	img, err := media.CleanImage(bytes.NewReader(frame), 0)
	if err != nil {
		return
	}
	key := dir + "/small" + extOf(img.Thumbnail.MIME)
	if err := m.Blobs.Put(ctx, key, bytes.NewReader(img.Thumbnail.Bytes), int64(len(img.Thumbnail.Bytes)), string(img.Thumbnail.MIME)); err != nil {
		return
	}
	rec.ThumbKey, rec.ThumbWidth, rec.ThumbHeight, rec.Blurhash = key, img.Thumbnail.Width, img.Thumbnail.Height, img.Blurhash
}

func (m *Media) storeImage(ctx context.Context, rec MediaRecord, data []byte, thumb media.Thumbnail, dir string) (MediaRecord, error) {
	rec.Key = dir + "/original" + extOf(media.Kind(rec.MIME))
	if err := m.Blobs.Put(ctx, rec.Key, bytes.NewReader(data), int64(len(data)), rec.MIME); err != nil {
		return rec, err
	}
	if len(thumb.Bytes) > 0 {
		rec.ThumbKey = dir + "/small" + extOf(thumb.MIME)
		if err := m.Blobs.Put(ctx, rec.ThumbKey, bytes.NewReader(thumb.Bytes), int64(len(thumb.Bytes)), string(thumb.MIME)); err != nil {
			m.deleteKeys(ctx, rec.Key)
			return rec, err
		}
		rec.ThumbWidth, rec.ThumbHeight = thumb.Width, thumb.Height
	}
	return rec, nil
}

func (m *Media) storeFile(ctx context.Context, rec MediaRecord, f *os.File, size int64, dir string) (MediaRecord, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return rec, err
	}
	rec.Key, rec.Size = dir+"/original"+extOf(media.Kind(rec.MIME)), size
	return rec, m.Blobs.Put(ctx, rec.Key, f, size, rec.MIME)
}

func (m *Media) deleteKeys(ctx context.Context, keys ...string) {
	for _, k := range keys {
		if k != "" {
			m.Blobs.Delete(context.WithoutCancel(ctx), k) //nolint:errcheck // best effort: nothing names the key
		}
	}
}

// spool copies r, at most limit bytes, into a new temporary file.
func (m *Media) spool(r io.Reader, limit int64) (*os.File, int64, error) {
	f, err := os.CreateTemp(m.TempDir, "ruche-upload-*")
	if err != nil {
		return nil, 0, err
	}
	n, err := media.Copy(f, r, limit)
	if err != nil {
		removeTemp(f)
		return nil, 0, err
	}
	return f, n, nil
}

func removeTemp(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// refusal turns a media error into what the member is told; limit names the size
// allowed for an upload too large.
func (m *Media) refusal(err error, limit int64) error {
	key := media.MessageKey(err)
	switch {
	case key == "":
		return err
	case errors.Is(err, media.ErrTooLarge):
		return Errorf(CodeInvalid, key, humanSize(limit))
	}
	return Errorf(CodeInvalid, key)
}

func humanSize(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", max(1, n>>10))
}

func kindOf(k media.Kind) MediaKind {
	switch k.Family() {
	case media.FamilyImage:
		return MediaImage
	case media.FamilyVideo:
		return MediaVideo
	case media.FamilyAudio:
		return MediaAudio
	}
	return MediaFile
}

func extOf(k media.Kind) string {
	if e := k.Ext(); e != "" {
		return "." + strings.TrimPrefix(e, ".")
	}
	return ""
}

// fileName keeps what a download may be called: the base name the member gave, with
// no path and no control characters, else one made of the kind's extension.
func fileName(name string, k media.Kind) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" || strings.TrimSpace(name) == "" {
		name = "file" + extOf(k)
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name
}

func randomKey() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Sweep deletes uploads never attached within a day and the files of whatever was
// deleted (posts, accounts, stale uploads); the cleanup job's work.
func (m *Media) Sweep(ctx context.Context) error {
	if _, err := m.Store.DeleteStaleMedia(ctx, 24*time.Hour); err != nil {
		return err
	}
	for {
		keys, err := m.Store.MediaGarbage(ctx, 500)
		if err != nil || len(keys) == 0 {
			return err
		}
		var gone []string
		for _, k := range keys {
			if err := m.Blobs.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrBadKey) {
				break
			}
			gone = append(gone, k)
		}
		if err := m.Store.ForgetMediaGarbage(ctx, gone); err != nil {
			return err
		}
		if len(gone) < len(keys) {
			return nil // the blob store failed; the rest waits for the next sweep
		}
	}
}
