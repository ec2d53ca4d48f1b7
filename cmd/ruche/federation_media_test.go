package main

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Files of a shared group's posts travel with them: hub fetches ana's photo from acme
// with a signature and keeps its own clean copy, which zoe's app loads from hub; zoe's
// photo goes the other way. Unsigned, the file is refused.
func TestFederationGroupMedia(t *testing.T) {
	ctx := context.Background()
	acme, hub := newFedSite(t, "acme"), newFedSite(t, "hub")
	partner(t, acme.m, hub.base)
	partner(t, hub.m, acme.base)
	ana, zoe := acme.user(t, "ana"), hub.user(t, "zoe")
	design, hubDesign, handle := sharedDesign(t, acme, hub, ana, zoe)

	photo, err := acme.m.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(corpus(t, "exif-gps.jpg")), Name: "site.jpg", Description: "The site"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acme.posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "Site visit", MediaIDs: []int64{photo.ID}}); err != nil {
		t.Fatal(err)
	}
	var atHub ruche.Post
	eventually(t, 30*time.Second, "ana's photo never reached hub", func() bool {
		var ok bool
		atHub, ok = hub.find(zoe, hubDesign.ID, "Site visit")
		return ok && len(atHub.Media) == 1
	})
	a := atHub.Media[0]
	if a.Description != "The site" || a.Width != photo.Width || a.Kind != ruche.MediaImage {
		t.Errorf("hub's copy: %+v, want as %+v", a, photo)
	}
	code, _, body := fetch(t, hub.m.media.URL(a, ruche.VariantOriginal))
	if code != 200 || len(body) == 0 || bytes.Contains(body, []byte("SECRET")) {
		t.Errorf("hub serves the copy: %d, %d bytes, clean %v", code, len(body), !bytes.Contains(body, []byte("SECRET")))
	}
	if code, _ := rawGet(t, acme.base+"/ap/media/"+strconv.FormatInt(photo.ID, 10), "*/*"); code != 401 {
		t.Errorf("an unsigned fetch of the file: %d, want 401", code)
	}

	// zoe's photo, posted from hub, reaches acme.
	mine, err := hub.m.media.Upload(ctx, zoe, ruche.Upload{Body: bytes.NewReader(corpus(t, "text-chunks.png")), Name: "sketch.png"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub.posts.Create(ctx, zoe, ruche.NewPost{GroupHandle: handle, Source: "My sketch", MediaIDs: []int64{mine.ID}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe's photo never reached acme", func() bool {
		p, ok := acme.find(ana, design.ID, "My sketch")
		return ok && len(p.Media) == 1 && p.Media[0].Width == mine.Width
	})
}

// A partner with members in a shared group fetches its posts written since the
// sharing, and their files; nothing from before, even when a newer reply names it.
func TestFederationNoFetchBeforeSharing(t *testing.T) {
	ctx := context.Background()
	acme, hub := newFedSite(t, "acme"), newFedSite(t, "hub")
	partner(t, acme.m, hub.base)
	partner(t, hub.m, acme.base)
	ana, zoe := acme.user(t, "ana"), hub.user(t, "zoe")
	if _, err := acme.groups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen}); err != nil {
		t.Fatal(err)
	}
	photo, err := acme.m.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(corpus(t, "text-chunks.png"))}, true)
	if err != nil {
		t.Fatal(err)
	}
	old, err := acme.posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "Before the partners came", MediaIDs: []int64{photo.ID}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // ids carry their millisecond
	design, err := acme.groups.Get(ctx, ana, "design")
	if err != nil {
		t.Fatal(err)
	}
	shareAndJoin(t, acme, hub, design, zoe)
	reply, err := acme.posts.Create(ctx, ana, ruche.NewPost{InReplyToID: old.ID, Source: "Now with partners"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub.m.fed.Fetch(ctx, acme.m.fed.PostIRI(reply.ID)); err != nil {
		t.Errorf("hub fetches the reply written since the sharing: %v", err)
	}
	for what, iri := range map[string]string{"the older post": acme.m.fed.PostIRI(old.ID), "its photo": acme.m.fed.MediaIRI(photo.ID)} {
		if _, err := hub.m.fed.Fetch(ctx, iri); statusOf(err) != 404 {
			t.Errorf("hub fetches %s: %v, want 404", what, err)
		}
	}
}
