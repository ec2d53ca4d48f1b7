package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/apispec"
	"github.com/ruche-hive/ruche/internal/mastoapi"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// upload is a file an app sends to the media endpoints, with its form fields; late
// sends the fields after the file, as some apps do.
type upload struct {
	name, ctype string
	data        []byte
	fields      map[string]string
	late        bool
	noFile      bool
}

// send posts u as multipart/form-data to path and checks the answer against
// Mastodon's schemas (an attachment's against MediaAttachment).
func (c *mclient) send(path string, u upload) reply {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields := func() {
		for k, v := range u.fields {
			mw.WriteField(k, v)
		}
	}
	if !u.late {
		fields()
	}
	if !u.noFile {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+u.name+`"`)
		h.Set("Content-Type", u.ctype)
		pw, err := mw.CreatePart(h)
		if err != nil {
			c.t.Fatal(err)
		}
		pw.Write(u.data)
	}
	if u.late {
		fields()
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, body: body.Bytes()}
	checkSpec(c.t, "POST", path, r)
	if r.status < 300 {
		mediaSchema(c.t, r.body)
	}
	return r
}

// mediaSchema checks one attachment's JSON against Mastodon's MediaAttachment.
func mediaSchema(t *testing.T, body []byte) mastoapi.MediaAttachment {
	t.Helper()
	if err := apispec.Schema("MediaAttachment", body); err != nil {
		t.Errorf("not a MediaAttachment: %v\n%s", err, body)
	}
	var m mastoapi.MediaAttachment
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return m
}

// statusMedia checks every attachment of a status's JSON against the schema.
func statusMedia(t *testing.T, s mastoapi.Status) {
	t.Helper()
	for _, m := range s.MediaAttachments {
		b, _ := json.Marshal(m)
		mediaSchema(t, b)
	}
}

// uploadPhoto uploads a picture through v1 and returns its id.
func uploadPhoto(c *mclient, file string) string {
	c.t.Helper()
	r := c.send("/api/v1/media", upload{name: file, ctype: "image/png", data: corpus(c.t, file)})
	if r.status != 200 {
		c.t.Fatalf("upload %s → %d: %s", file, r.status, r.body)
	}
	return mediaSchema(c.t, r.body).ID
}

// ready polls an upload as an app does after v2, until it is processed.
func ready(c *mclient, id string) mastoapi.MediaAttachment {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.do("GET", "/api/v1/media/"+id, nil)
		switch {
		case r.status == 200:
			return mediaSchema(c.t, r.body)
		case r.status != 206:
			c.t.Fatalf("GET /api/v1/media/%s → %d: %s", id, r.status, r.body)
		case time.Now().After(deadline):
			c.t.Fatalf("upload %s still processing", id)
		}
		if m := mediaSchema(c.t, r.body); m.URL != nil {
			c.t.Errorf("an upload still processing has a URL: %s", *m.URL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// errorText is an error answer's message.
func errorText(t *testing.T, r reply) string {
	t.Helper()
	var e struct{ Error string }
	r.into(t, &e)
	return e.Error
}

// TestMastoMedia follows photos and a video from an app's upload to a group post: a
// colleague's app loads them clean without credentials, a non-member is handed no URL
// anywhere, and what a post may not carry is refused with its reason.
func TestMastoMedia(t *testing.T) {
	m, base := boot(t)
	ctx := context.Background()
	ana := member(t, m, base, "ana", ruche.RoleMember)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	carl := member(t, m, base, "carl", ruche.RoleMember)
	groups := &ruche.Groups{Store: m.db.store}
	if _, err := groups.Create(ctx, ana.user, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen}); err != nil {
		t.Fatal(err)
	}
	if _, err := groups.Join(ctx, bob.user, "design"); err != nil {
		t.Fatal(err)
	}

	// The composer offers attachments.
	var inst struct {
		Configuration struct {
			Statuses struct {
				MaxMediaAttachments int `json:"max_media_attachments"`
			}
			MediaAttachments struct {
				Types          []string `json:"supported_mime_types"`
				ImageSizeLimit int64    `json:"image_size_limit"`
				VideoSizeLimit int64    `json:"video_size_limit"`
			} `json:"media_attachments"`
		}
	}
	for _, path := range []string{"/api/v2/instance", "/api/v1/instance"} {
		ana.get(path, &inst)
		c := inst.Configuration
		if c.Statuses.MaxMediaAttachments != 4 || !slices.Contains(c.MediaAttachments.Types, "image/jpeg") ||
			!slices.Contains(c.MediaAttachments.Types, "video/mp4") || c.MediaAttachments.ImageSizeLimit != 16<<20 ||
			c.MediaAttachments.VideoSizeLimit != 100<<20 {
			t.Errorf("%s: %+v", path, c)
		}
	}

	// Four photos: two through v2 (one with its fields after the file), polled until
	// processed, two through v1.
	gps := corpus(t, "exif-gps.jpg")
	if !bytes.Contains(gps, []byte("SECRET")) {
		t.Fatal("the corpus photo carries no planted metadata")
	}
	r := ana.send("/api/v2/media", upload{name: "holiday.jpg", ctype: "image/jpeg", data: gps,
		fields: map[string]string{"description": "The office", "focus": "0.5,-0.25"}})
	if r.status != 202 && r.status != 200 {
		t.Fatalf("POST /api/v2/media → %d: %s", r.status, r.body)
	}
	queued := mediaSchema(t, r.body)
	if r.status == 202 && queued.URL != nil {
		t.Errorf("202 with a URL: %s", *queued.URL)
	}
	photo := ready(ana, queued.ID)
	if photo.Type != "image" || photo.URL == nil || photo.PreviewURL == nil || photo.Description == nil || *photo.Description != "The office" ||
		photo.Meta.Focus == nil || photo.Meta.Focus.X != 0.5 || photo.Meta.Focus.Y != -0.25 || photo.Meta.Original == nil ||
		photo.Meta.Original.Width == 0 || photo.Blurhash == nil {
		t.Errorf("processed photo: %+v", photo)
	}
	r = ana.send("/api/v2/media", upload{name: "chart.png", ctype: "image/png", data: corpus(t, "text-chunks.png"), late: true,
		fields: map[string]string{"description": "Sales chart"}})
	chart := ready(ana, mediaSchema(t, r.body).ID)
	if chart.Description == nil || *chart.Description != "Sales chart" {
		t.Errorf("a description sent after the file: %+v", chart.Description)
	}
	webp, gif := uploadPhoto(ana, "exif-xmp.webp"), uploadPhoto(ana, "comment-xmp.gif")
	bob.want(404, "GET", "/api/v1/media/"+photo.ID, nil)
	bob.want(404, "PUT", "/api/v1/media/"+photo.ID, map[string]any{"description": "mine now"})
	carl.want(404, "GET", "/api/v1/media/999999999", nil)

	// Describing before posting; a field left out keeps its value.
	r = ana.ok("PUT", "/api/v1/media/"+webp, map[string]any{"description": "Whiteboard", "focus": "0,0.5"})
	if d := mediaSchema(t, r.body); d.Description == nil || *d.Description != "Whiteboard" || d.Meta.Focus.Y != 0.5 {
		t.Errorf("described: %+v", d)
	}
	r = ana.ok("PUT", "/api/v1/media/"+webp, map[string]any{"focus": "0,0"})
	if d := mediaSchema(t, r.body); d.Description == nil || *d.Description != "Whiteboard" {
		t.Errorf("a focus alone cleared the description: %+v", d.Description)
	}
	stError(ana, 422, "PUT", "/api/v1/media/"+webp, map[string]any{"focus": "2,0"}, "between -1 and 1")

	// An upload taken back before posting is gone; someone else's is not found.
	extra := uploadPhoto(ana, "text-chunks.png")
	bob.want(404, "DELETE", "/api/v1/media/"+extra, nil)
	ana.ok("DELETE", "/api/v1/media/"+extra, nil)
	ana.want(404, "GET", "/api/v1/media/"+extra, nil)

	// What is not a picture is refused with its reason, and nothing is stored.
	before := count(t, m, `SELECT count(*) FROM media`)
	for _, path := range []string{"/api/v1/media", "/api/v2/media"} {
		r := ana.send(path, upload{name: "photo.png", ctype: "image/png", data: corpus(t, "html.png")})
		if msg := errorText(t, r); r.status != 422 || !strings.Contains(msg, "cannot be attached") && !strings.Contains(msg, "does not match") {
			t.Errorf("%s html.png → %d %q", path, r.status, msg)
		}
	}
	r = ana.send("/api/v1/media", upload{noFile: true, fields: map[string]string{"description": "nothing"}})
	if msg := errorText(t, r); r.status != 422 || !strings.Contains(msg, `"file"`) {
		t.Errorf("a form without a file → %d %q", r.status, msg)
	}
	r = ana.send("/api/v1/media", upload{name: "a.png", ctype: "image/png", data: corpus(t, "text-chunks.png"),
		fields: map[string]string{"description": strings.Repeat("x", ruche.MaxMediaDescription+1)}})
	if msg := errorText(t, r); r.status != 422 || !strings.Contains(msg, "too long") {
		t.Errorf("a description too long → %d %q", r.status, msg)
	}
	if after := count(t, m, `SELECT count(*) FROM media`); after != before {
		t.Errorf("refused uploads left %d rows", after-before)
	}
	// A file found damaged once queued says so when polled.
	r = ana.send("/api/v2/media", upload{name: "cut.jpg", ctype: "image/jpeg", data: corpus(t, "truncated.jpg")})
	if r.status != 202 {
		t.Fatalf("queue a truncated photo → %d: %s", r.status, r.body)
	}
	cut := mediaSchema(t, r.body).ID
	eventually(t, 20*time.Second, "the truncated photo is never reported damaged", func() bool {
		r := ana.do("GET", "/api/v1/media/"+cut, nil)
		if r.status != 206 && r.status != 422 {
			t.Fatalf("GET /api/v1/media/%s → %d: %s", cut, r.status, r.body)
		}
		return r.status == 422 && strings.Contains(errorText(t, r), "damaged")
	})
	stError(ana, 422, "POST", "/api/v1/statuses", map[string]any{"status": "cut", "media_ids": []string{cut}}, "cannot be attached")

	// Posted in the group, in the order given.
	ids := []string{photo.ID, chart.ID, webp, gif}
	post := stPost(ana, map[string]any{"status": "@design photos from the offsite @carl", "media_ids": ids})
	statusMedia(t, post)
	if post.Group == nil || len(post.MediaAttachments) != 4 {
		t.Fatalf("posted: group %+v, %d attachments", post.Group, len(post.MediaAttachments))
	}
	var seen mastoapi.Status
	bob.get("/api/v1/statuses/"+post.ID, &seen)
	statusMedia(t, seen)
	var got []string
	for _, a := range seen.MediaAttachments {
		got = append(got, a.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("bob sees attachments %v, want %v", got, ids)
	}
	for _, a := range seen.MediaAttachments {
		code, h, body := fetch(t, *a.URL)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "image/") {
			t.Errorf("GET %s without credentials → %d %s", *a.URL, code, h.Get("Content-Type"))
		}
		for _, leak := range []string{"SECRET", "Exif\x00\x00"} {
			if bytes.Contains(body, []byte(leak)) {
				t.Errorf("attachment %s still carries %q", a.ID, leak)
			}
		}
		if code, _, _ := fetch(t, *a.PreviewURL); code != 200 {
			t.Errorf("GET the preview of %s → %d", a.ID, code)
		}
	}
	bare, _, _ := strings.Cut(*seen.MediaAttachments[0].URL, "?")
	if code, _, _ := fetch(t, bare); code != 404 {
		t.Errorf("a URL without its signature → %d, want 404", code)
	}
	if again := stStatus(t, bob.ok("GET", "/api/v1/statuses/"+post.ID, nil)); *again.MediaAttachments[0].URL != *seen.MediaAttachments[0].URL {
		t.Error("two URLs for one file within a period: app caches would miss")
	}
	// Once posted, an upload is the post's.
	stError(ana, 422, "PUT", "/api/v1/media/"+webp, map[string]any{"description": "later"}, "attached to a post")
	stError(ana, 422, "POST", "/api/v1/statuses", map[string]any{"status": "again", "media_ids": []string{webp}}, "cannot be attached")
	ana.want(422, "DELETE", "/api/v1/media/"+webp, nil) // it is the post's now

	// A colleague's boost carries the original's attachments.
	boost := stStatus(t, bob.ok("POST", "/api/v1/statuses/"+post.ID+"/reblog", nil))
	if boost.Reblog == nil || len(boost.Reblog.MediaAttachments) != 4 {
		t.Errorf("the boost's original carries %+v", boost.Reblog)
	} else {
		statusMedia(t, *boost.Reblog)
	}

	// Edits keep the attachments; an app sends their ids back, others are refused.
	edited := stStatus(t, ana.ok("PUT", "/api/v1/statuses/"+post.ID, map[string]any{"status": "@design photos from the offsite, day 1", "media_ids": ids}))
	if len(edited.MediaAttachments) != 4 {
		t.Errorf("edited with its media_ids: %d attachments", len(edited.MediaAttachments))
	}
	edited = stStatus(t, ana.ok("PUT", "/api/v1/statuses/"+post.ID, map[string]any{"status": "@design photos from the offsite, day one"}))
	if len(edited.MediaAttachments) != 4 {
		t.Errorf("edited without media_ids: %d attachments", len(edited.MediaAttachments))
	}
	stError(ana, 422, "PUT", "/api/v1/statuses/"+post.ID, map[string]any{"status": "swap", "media_ids": ids[:2]}, "cannot be changed")
	var history []mastoapi.StatusEdit
	if bob.get("/api/v1/statuses/"+post.ID+"/history", &history); len(history) != 3 || len(history[0].MediaAttachments) != 4 {
		t.Errorf("history: %d versions", len(history))
	}

	// only_media finds the post among ana's, not her text alone.
	text := stPost(ana, map[string]any{"status": "no pictures today"})
	var ss []mastoapi.Status
	bob.get("/api/v1/accounts/"+idOf(ana.user.ID)+"/statuses?only_media=true", &ss)
	if got, want := stIDs(ss), []string{post.ID}; !slices.Equal(got, want) {
		t.Errorf("only_media → %v, want %v (not %s)", got, want, text.ID)
	}

	// Carl, not in the group, is named in the post but never sees it nor is handed a
	// URL of its files, wherever he looks.
	carl.want(404, "GET", "/api/v1/statuses/"+post.ID, nil)
	carl.want(404, "GET", "/api/v1/statuses/"+boost.ID, nil)
	byLink := "/api/v2/search?resolve=true&q=" + url.QueryEscape(post.URL)
	for _, path := range []string{"/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/public?only_media=true",
		"/api/v1/accounts/" + idOf(ana.user.ID) + "/statuses", "/api/v1/accounts/" + idOf(ana.user.ID) + "/statuses?only_media=true",
		"/api/v1/accounts/" + idOf(bob.user.ID) + "/statuses", byLink, byLink + "&type=statuses", "/api/v2/search?q=offsite",
		"/api/v1/notifications", "/api/v1/conversations", "/api/v1/statuses?id[]=" + post.ID + "&id[]=" + boost.ID} {
		body := string(carl.ok("GET", path, nil).body)
		for _, id := range ids {
			if strings.Contains(body, "/media/"+id+"/") {
				t.Errorf("carl's %s hands out a URL of attachment %s", path, id)
			}
		}
		if strings.Contains(body, "offsite") {
			t.Errorf("carl's %s shows the group post", path)
		}
	}
	// Bob's search finds it by its link, so carl's could have.
	var res mastoapi.SearchResults
	if bob.get(byLink, &res); len(res.Statuses) != 1 || len(res.Statuses[0].MediaAttachments) != 4 {
		t.Errorf("bob's search → %d statuses", len(res.Statuses))
	}

	// Another member's upload is not ana's to post, nor to read.
	bobs := uploadPhoto(bob, "text-chunks.png")
	stError(ana, 422, "POST", "/api/v1/statuses", map[string]any{"status": "mine?", "media_ids": []string{bobs}}, "cannot be attached")
	ana.want(404, "GET", "/api/v1/media/"+bobs, nil)
	stError(ana, 422, "POST", "/api/v1/statuses", map[string]any{"status": "what", "media_ids": []string{"abc"}}, "cannot be attached")

	// A post carries at most four photos, or one video alone.
	five := []string{}
	for range 5 {
		five = append(five, uploadPhoto(ana, "text-chunks.png"))
	}
	stError(ana, 422, "POST", "/api/v1/statuses", map[string]any{"status": "five", "media_ids": five}, "at most 4")
	mp4 := corpus(t, "gps.mp4")
	if !bytes.Contains(mp4, []byte("+48.8584")) {
		t.Fatal("the corpus video carries no planted location")
	}
	r = ana.send("/api/v1/media", upload{name: "walk.mp4", ctype: "video/mp4", data: mp4})
	if r.status != 200 {
		t.Fatalf("upload the video → %d: %s", r.status, r.body)
	}
	video := mediaSchema(t, r.body)
	if video.Type != "video" || video.URL == nil {
		t.Fatalf("video: %+v", video)
	}
	stError(ana, 422, "POST", "/api/v1/statuses", map[string]any{"status": "mix", "media_ids": []string{five[0], video.ID}}, "not a mix")
	vpost := stPost(ana, map[string]any{"status": "@design the walk", "media_ids": []string{video.ID}})
	statusMedia(t, vpost)
	bob.get("/api/v1/statuses/"+vpost.ID, &seen)
	if len(seen.MediaAttachments) != 1 || seen.MediaAttachments[0].Type != "video" {
		t.Fatalf("the video post: %+v", seen.MediaAttachments)
	}
	videoURL := *seen.MediaAttachments[0].URL
	code, h, body := fetch(t, videoURL)
	if code != 200 || h.Get("Content-Type") != "video/mp4" {
		t.Fatalf("GET the video → %d %s", code, h.Get("Content-Type"))
	}
	for _, leak := range []string{"+48.8584", "SECRET"} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("the served video still carries %q", leak)
		}
	}
	carl.want(404, "GET", "/api/v1/statuses/"+vpost.ID, nil)

	// A spreadsheet: a file apps offer as a download, served as one.
	r = ana.send("/api/v1/media", upload{name: "budget.xlsx", ctype: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data: xlsx(t)})
	if r.status != 200 {
		t.Fatalf("upload the spreadsheet → %d: %s", r.status, r.body)
	}
	sheet := mediaSchema(t, r.body)
	spost := stPost(ana, map[string]any{"status": "@design the budget", "media_ids": []string{sheet.ID}})
	bob.get("/api/v1/statuses/"+spost.ID, &seen)
	if len(seen.MediaAttachments) != 1 || seen.MediaAttachments[0].Type != "unknown" || seen.MediaAttachments[0].URL == nil {
		t.Fatalf("the spreadsheet post: %+v", seen.MediaAttachments)
	}
	if code, h, _ := fetch(t, *seen.MediaAttachments[0].URL); code != 200 || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("GET the spreadsheet → %d, %q", code, h.Get("Content-Disposition"))
	}

	// Deleting the post takes its files at once.
	ana.ok("DELETE", "/api/v1/statuses/"+vpost.ID, nil)
	if code, _, _ := fetch(t, videoURL); code != 404 {
		t.Errorf("a deleted post's video → %d, want 404", code)
	}
}

// TestMastoMediaUploadIsStreamed: an upload is not bound by the 1 MB limit on forms,
// and a file over its kind's limit is refused with the limit.
func TestMastoMediaUploadIsStreamed(t *testing.T) {
	m, base := bootWith(t, testdb.New(t), map[string]string{"RUCHE_MEDIA_IMAGE_MB": "2"})
	ana := member(t, m, base, "ana", ruche.RoleMember)
	big := noisyPNG(t, 700, 700) // pixels that do not compress: over 1 MB, under 2
	if len(big) <= 1<<20 || len(big) > 2<<20 {
		t.Fatalf("test bug: %d bytes", len(big))
	}
	r := ana.send("/api/v1/media", upload{name: "noise.png", ctype: "image/png", data: big})
	if r.status != 200 {
		t.Fatalf("a %d-byte photo → %d: %s", len(big), r.status, r.body)
	}
	huge := noisyPNG(t, 1000, 1000)
	r = ana.send("/api/v1/media", upload{name: "huge.png", ctype: "image/png", data: huge})
	if msg := errorText(t, r); r.status != 422 || !strings.Contains(msg, "2 MB") {
		t.Errorf("a %d-byte photo over the 2 MB limit → %d %q", len(huge), r.status, msg)
	}
}

// noisyPNG is a w×h PNG of random pixels, which no encoder can shrink.
func noisyPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rnd.Uint32())
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
