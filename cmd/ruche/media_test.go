package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// corpus reads a file of internal/media's test corpus.
func corpus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../internal/media/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fetch GETs url without credentials, as an app loads an image.
func fetch(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := loopback.Do(req) // names under .localhost reach this machine
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// TestMediaInGroupPosts: a photo carrying GPS, uploaded and posted in a group, is
// served clean under a capability URL to whoever holds it; the group's non-members are
// never handed a URL; a path without a valid signature, or once the post is deleted,
// is not found; and what is not an image is refused with its reason.
func TestMediaInGroupPosts(t *testing.T) {
	ctx := context.Background()
	m, _ := bootWith(t, testdb.New(t), nil)
	s := &fedSite{m: m, groups: &ruche.Groups{Store: m.db.store, Shares: m.db.store}, posts: &ruche.Posts{Store: m.db.store}}
	ana, bob, carl := s.user(t, "ana"), s.user(t, "bob"), s.user(t, "carl")
	if _, err := s.groups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.groups.Join(ctx, bob, "design"); err != nil {
		t.Fatal(err)
	}
	gps := corpus(t, "exif-gps.jpg")
	if !bytes.Contains(gps, []byte("SECRET")) {
		t.Fatal("the corpus photo carries no planted metadata")
	}
	photo, err := m.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(gps), Type: "image/jpeg", Name: "holiday.jpg", Description: "The office"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if photo.State != ruche.MediaReady || photo.Kind != ruche.MediaImage || photo.Width == 0 || photo.Blurhash == "" {
		t.Fatalf("uploaded photo: %+v", photo)
	}
	// Queued processing (the client API's v2) ends ready too.
	queued, err := m.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(corpus(t, "text-chunks.png")), Name: "chart.png"}, false)
	if err != nil || queued.State != ruche.MediaProcessing {
		t.Fatalf("queued upload: %+v, %v", queued, err)
	}
	eventually(t, 20*time.Second, "the queued upload was never processed", func() bool {
		a, err := m.media.Get(ctx, ana, queued.ID)
		return err == nil && a.State == ruche.MediaReady
	})
	if _, err := m.media.Get(ctx, bob, queued.ID); ruche.ErrorCode(err) != ruche.CodeNotFound {
		t.Errorf("bob reads ana's upload: %v", err)
	}

	p, err := s.posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "", MediaIDs: []int64{photo.ID, queued.ID}})
	if err != nil {
		t.Fatal(err)
	}
	seen, err := s.posts.Post(ctx, bob, p.ID)
	if err != nil || len(seen.Media) != 2 || seen.Media[0].ID != photo.ID || seen.Media[0].Description != "The office" {
		t.Fatalf("bob's view of the post: %+v, %v", seen.Media, err)
	}
	if _, err := s.posts.Post(ctx, carl, p.ID); ruche.ErrorCode(err) != ruche.CodeNotFound {
		t.Errorf("carl, not in the group, reads the post: %v", err)
	}

	url := m.media.URL(seen.Media[0], ruche.VariantOriginal)
	if url != m.media.URL(seen.Media[0], ruche.VariantOriginal) {
		t.Error("two URLs for one file within a period: caches would miss")
	}
	code, h, body := fetch(t, url)
	if code != 200 || h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET the photo: %d %v", code, h)
	}
	for _, leak := range []string{"SECRET", "Exif\x00\x00", "http://ns.adobe.com/xap"} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("the served photo still carries %q", leak)
		}
	}
	if code, _, _ := fetch(t, m.media.URL(seen.Media[0], ruche.VariantSmall)); code != 200 {
		t.Errorf("GET the thumbnail: %d", code)
	}
	bare, _, _ := strings.Cut(url, "?")
	for what, u := range map[string]string{
		"no signature":       bare,
		"altered signature":  url[:len(url)-2] + "AA",
		"another file's URL": strings.Replace(url, "/media/"+itoa(photo.ID)+"/", "/media/"+itoa(queued.ID)+"/", 1),
		"another variant":    strings.Replace(url, "/original?", "/small?", 1),
	} {
		if code, _, _ := fetch(t, u); code != 404 {
			t.Errorf("%s: %d, want 404", what, code)
		}
	}

	// What is not an image is refused, with its reason, and nothing is stored.
	before := count(t, m, `SELECT count(*) FROM media`)
	for name, want := range map[string]string{"html.png": "error.media_unsupported", "script.svg": "error.media_unsupported",
		"truncated.jpg": "error.media_corrupt", "bomb.png": "error.media_dimensions", "empty.bin": "error.media_empty"} {
		_, err := m.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(corpus(t, name)), Name: name, Type: "image/png"}, true)
		var e *ruche.Error
		got := ""
		if errors.As(err, &e) {
			got = e.Key
		}
		// Markup sent as an image is refused as markup or as a mismatch: either way, refused.
		markup := strings.HasPrefix(name, "html") || strings.HasPrefix(name, "script")
		if ruche.ErrorCode(err) != ruche.CodeInvalid || got != want && !(markup && got == "error.media_mismatch") {
			t.Errorf("%s: %v (%s), want %s", name, err, got, want)
		}
	}
	if after := count(t, m, `SELECT count(*) FROM media`); after != before {
		t.Errorf("refused uploads left %d rows", after-before)
	}

	// Deleting the post takes its files at once, URLs included.
	if err := s.posts.Delete(ctx, ana, p.ID); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := fetch(t, url); code != 404 {
		t.Errorf("a deleted post's photo: %d, want 404", code)
	}
	if err := m.media.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, m, `SELECT count(*) FROM media_garbage`); n != 0 {
		t.Errorf("%d files of the deleted post left to sweep", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPictures: avatars and headers of members and groups go through the same
// pipeline: cleaned, cropped, served under capability URLs beside the person's posts;
// only images are taken, and only a group's managers change its pictures.
func TestPictures(t *testing.T) {
	ctx := context.Background()
	m, _ := bootWith(t, testdb.New(t), nil)
	s := &fedSite{m: m, groups: &ruche.Groups{Store: m.db.store, Shares: m.db.store}, posts: &ruche.Posts{Store: m.db.store}}
	ana, bob := s.user(t, "ana"), s.user(t, "bob")
	avatar, err := m.media.SetOwnPicture(ctx, ana, ruche.PictureAvatar, ruche.Upload{Body: bytes.NewReader(corpus(t, "exif-gps.jpg")), Name: "me.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	if avatar.Width != avatar.Height || avatar.Width == 0 {
		t.Errorf("avatar %dx%d, want square", avatar.Width, avatar.Height)
	}
	p, err := s.posts.Create(ctx, ana, ruche.NewPost{Source: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Author.Avatar != avatar.ID {
		t.Fatalf("the post's author has avatar %d, want %d", p.Author.Avatar, avatar.ID)
	}
	code, h, body := fetch(t, m.media.PictureURL(p.Author.Avatar))
	if code != 200 || h.Get("Content-Type") != "image/jpeg" || bytes.Contains(body, []byte("SECRET")) {
		t.Errorf("GET the avatar: %d %s, clean %v", code, h.Get("Content-Type"), !bytes.Contains(body, []byte("SECRET")))
	}
	header, err := m.media.SetOwnPicture(ctx, ana, ruche.PictureHeader, ruche.Upload{Body: bytes.NewReader(corpus(t, "text-chunks.png"))})
	if err != nil || header.Width == 0 {
		t.Fatalf("header: %+v %v", header, err)
	}
	if prof, err := s.posts.Profile(ctx, bob, "ana"); err != nil || prof.Header != header.ID || prof.Avatar != avatar.ID {
		t.Errorf("ana's profile: avatar %d header %d (%v)", prof.Avatar, prof.Header, err)
	}
	if _, err := m.media.SetOwnPicture(ctx, ana, ruche.PictureAvatar, ruche.Upload{Body: bytes.NewReader(corpus(t, "tags.mp3"))}); ruche.ErrorCode(err) != ruche.CodeInvalid {
		t.Errorf("a sound as avatar: %v, want refused", err)
	}
	// Removing the avatar brings back the initials; the old picture is swept later.
	if _, err := m.media.SetOwnPicture(ctx, ana, ruche.PictureAvatar, ruche.Upload{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.posts.Post(ctx, bob, p.ID); got.Author.Avatar != 0 {
		t.Errorf("after removal the author's avatar is %d", got.Author.Avatar)
	}

	// A group's pictures are its managers'.
	if _, err := s.groups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.groups.Join(ctx, bob, "design"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.groups.SetGroupPicture(ctx, m.media, bob, "design", ruche.PictureAvatar, ruche.Upload{Body: bytes.NewReader(corpus(t, "exif-gps.jpg"))}); ruche.ErrorCode(err) != ruche.CodeForbidden {
		t.Errorf("a plain member sets the group's avatar: %v", err)
	}
	ga, err := s.groups.SetGroupPicture(ctx, m.media, ana, "design", ruche.PictureAvatar, ruche.Upload{Body: bytes.NewReader(corpus(t, "exif-gps.jpg"))})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := s.groups.Get(ctx, bob, "design"); err != nil || g.Avatar != ga.ID {
		t.Errorf("the group's avatar: %d (%v), want %d", g.Avatar, err, ga.ID)
	}
}

// TestMediaCorpusServedClean: every file of the metadata corpus (EXIF GPS, XMP, IPTC,
// PNG text chunks, WebP EXIF, GIF comments, MP4 and WebM with location, tagged
// sound), posted and then fetched as a reader would, carries none of what was planted.
func TestMediaCorpusServedClean(t *testing.T) {
	ctx := context.Background()
	m, _ := bootWith(t, testdb.New(t), nil)
	s := &fedSite{m: m, posts: &ruche.Posts{Store: m.db.store}}
	ana, bob := s.user(t, "ana"), s.user(t, "bob")
	planted := []string{"SECRET", "+48.8584+002.2945", "Exif\x00\x00", "http://ns.adobe.com/xap", "Photoshop 3.0", "tEXt", "iTXt", "zTXt", "eXIf"}
	for _, name := range []string{"exif-gps.jpg", "text-chunks.png", "exif-xmp.webp", "comment-xmp.gif", "gps.mp4", "gps-mdat-first.mp4", "tags.webm", "tags.mp3", "info.wav"} {
		raw := corpus(t, name)
		if !bytes.Contains(raw, []byte("SECRET")) && !bytes.Contains(raw, []byte("+48.8584")) {
			t.Fatalf("%s carries nothing planted", name)
		}
		a, err := m.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(raw), Name: name}, true)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		p, err := s.posts.Create(ctx, ana, ruche.NewPost{Source: name, MediaIDs: []int64{a.ID}})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		seen, err := s.posts.Post(ctx, bob, p.ID)
		if err != nil || len(seen.Media) != 1 {
			t.Fatalf("%s as bob reads it: %v", name, err)
		}
		code, h, body := fetch(t, m.media.URL(seen.Media[0], ruche.VariantOriginal))
		if code != 200 || len(body) == 0 {
			t.Errorf("%s: served %d, %d bytes", name, code, len(body))
		}
		for _, p := range planted {
			if bytes.Contains(body, []byte(p)) {
				t.Errorf("%s (served as %s) still carries %q", name, h.Get("Content-Type"), p)
			}
		}
	}
}

// TestMediaStaleUploadsSwept: an upload never attached within a day goes, with its
// files; one in use as a picture stays.
func TestMediaStaleUploadsSwept(t *testing.T) {
	ctx := context.Background()
	m, _ := bootWith(t, testdb.New(t), nil)
	s := &fedSite{m: m, posts: &ruche.Posts{Store: m.db.store}}
	ana := s.user(t, "ana")
	stale, err := m.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(corpus(t, "text-chunks.png"))}, true)
	if err != nil {
		t.Fatal(err)
	}
	avatar, err := m.media.SetOwnPicture(ctx, ana, ruche.PictureAvatar, ruche.Upload{Body: bytes.NewReader(corpus(t, "exif-gps.jpg"))})
	if err != nil {
		t.Fatal(err)
	}
	url := m.media.URL(stale, ruche.VariantOriginal)
	if _, err := m.db.store.Pool().Exec(ctx, `UPDATE media SET created_at = now() - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	if err := m.media.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, m, `SELECT count(*) FROM media WHERE id = $1`, stale.ID); n != 0 {
		t.Error("the stale upload is still there")
	}
	if code, _, _ := fetch(t, url); code != 404 {
		t.Errorf("the stale upload's URL: %d, want 404", code)
	}
	if code, _, _ := fetch(t, m.media.PictureURL(avatar.ID)); code != 200 {
		t.Errorf("the avatar, in use, after the sweep: %d", code)
	}
	if n := count(t, m, `SELECT count(*) FROM media_garbage`); n != 0 {
		t.Errorf("%d keys left in the garbage", n)
	}
	files := 0
	filepath.WalkDir(m.Config.Media.Dir, func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && !d.IsDir() && !strings.HasSuffix(d.Name(), "~type") {
			files++
		}
		return nil
	})
	if files != 1 {
		t.Errorf("%d files in the media directory, want the avatar's alone", files)
	}
}
