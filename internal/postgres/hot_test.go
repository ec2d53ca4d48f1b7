package postgres_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// cachedTwin opens a second store on w's database with its read model running, so the
// same home pages can be read from memory (twin) and from SQL (w.store).
func cachedTwin(t *testing.T, w *world) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	twin, err := postgres.Open(ctx, w.store.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		twin.RunCache(ctx, func(err error) { t.Logf("read cache: %v", err) })
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		twin.Close()
	})
	settle(t, twin)
	return twin
}

// settle waits until twin's read model has heard every change made so far: its own
// writes through markers, the other store's through a marker of twin's own sent after
// them (announcements arrive in commit order).
func settle(t *testing.T, twin *postgres.Store) {
	t.Helper()
	if _, err := twin.Pool().Exec(context.Background(), `DELETE FROM follows WHERE false`); err != nil {
		t.Fatal(err) // a write, so that twin sends a marker after everything before it
	}
	for deadline := time.Now().Add(10 * time.Second); !twin.CacheSettled(); {
		if time.Now().After(deadline) {
			t.Fatal("read cache never settled")
		}
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(3 * time.Millisecond) // past the stream horizon's millisecond
}

// sameHomes reads every viewer's home stream, whole and in small pages both ways, from
// memory and from SQL, and wants them identical: the same posts with the same counts
// and marks.
func sameHomes(t *testing.T, w *world, twin *postgres.Store, stage string) {
	t.Helper()
	ctx := context.Background()
	settle(t, twin)
	for _, v := range w.viewers {
		viewer := ruche.ViewerOf(v)
		home := ruche.Stream{Kind: ruche.StreamHome}
		whole, err := w.store.Timeline(ctx, viewer, home, ruche.Page{Limit: 40})
		if err != nil {
			t.Fatal(err)
		}
		pages := []ruche.Page{{Limit: 40}, {Limit: 3}}
		if n := len(whole); n > 4 {
			mid := whole[n/2].ID
			pages = append(pages, ruche.Page{Limit: 3, MaxID: mid}, ruche.Page{Limit: 3, MinID: mid},
				ruche.Page{Limit: 40, SinceID: mid}, ruche.Page{Limit: 2, MaxID: whole[0].ID, SinceID: whole[n-1].ID})
		}
		for _, pg := range pages {
			want, err := w.store.Timeline(ctx, viewer, home, pg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := twin.Timeline(ctx, viewer, home, pg)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got { // a version label of the read model's, not content
				got[i].Stamp = 0
				if got[i].Reblog != nil {
					r := *got[i].Reblog
					r.Stamp, got[i].Reblog = 0, &r
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s's home %+v from memory differs from SQL:\n got %s\nwant %s", stage, v.Username, pg, brief(got), brief(want))
			}
		}
	}
}

func brief(posts []ruche.Post) string {
	s := ""
	for _, p := range posts {
		s += fmt.Sprintf("[%d %s likes=%d boosts=%d replies=%d liked=%v boosted=%v bm=%v mentions=%d author=%q]",
			p.ID, p.Visibility, p.Likes, p.Boosts, p.Replies, p.Liked, p.Boosted, p.Bookmarked, len(p.Mentions), p.Author.DisplayName)
	}
	return s
}

// TestHotHomeMatchesSQL builds the gate's world (every relation, every visibility,
// every subset of mentions) and checks that every viewer's home stream read from
// memory is the one SQL reads, then again after each kind of change the read model
// must hear of: a follow ends, a member leaves the group, a post narrows and widens,
// is deleted, is liked, bookmarked, boosted and answered, and an author renames.
func TestHotHomeMatchesSQL(t *testing.T) {
	ctx := context.Background()
	w := buildWorld(t)
	twin := cachedTwin(t, w)
	sameHomes(t, w, twin, "as built")
	if twin.HotServed() == 0 {
		t.Fatal("no home page came from memory: the comparison proved nothing")
	}
	// A live stream woken by a change reads the database, not the copy (which hears
	// of the change on another connection, perhaps later).
	served := twin.HotServed()
	if _, err := twin.Timeline(ruche.FreshReads(ctx), ruche.ViewerOf(w.viewers[3]), ruche.Stream{Kind: ruche.StreamHome}, ruche.Page{Limit: 20}); err != nil {
		t.Fatal(err)
	}
	if twin.HotServed() != served {
		t.Error("a fresh read was served from memory")
	}

	a1, follower, member := w.viewers[0], w.viewers[5], w.viewers[3] // author1, an admin who follows, a member who follows
	post := w.posts[1]                                               // author1's first company post
	steps := []struct {
		what string
		do   func(s *postgres.Store) error
	}{
		{"a follower stops following", func(s *postgres.Store) error { return s.SetFollowing(ctx, member.ID, a1.ID, false) }},
		{"a member leaves the group", func(s *postgres.Store) error { return s.RemoveMembership(ctx, w.group, w.viewers[4].ID) }},
		{"a post narrows to direct", func(s *postgres.Store) error {
			return s.EditPost(ctx, post, ruche.PostDraft{AuthorID: a1.ID, Visibility: ruche.VisDirect, Source: "y", HTML: "<p>y</p>"})
		}},
		{"it widens again", func(s *postgres.Store) error {
			return s.EditPost(ctx, post, ruche.PostDraft{AuthorID: a1.ID, Visibility: ruche.VisCompany, Source: "z", HTML: "<p>z</p>"})
		}},
		{"it is liked", func(s *postgres.Store) error { return s.SetLiked(ctx, follower.ID, post, true) }},
		{"it is bookmarked", func(s *postgres.Store) error { return s.SetBookmarked(ctx, follower.ID, post, true) }},
		{"it is boosted", func(s *postgres.Store) error { _, err := s.Boost(ctx, follower.ID, post); return err }},
		{"it is answered followers-only", func(s *postgres.Store) error {
			_, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: follower.ID, Visibility: ruche.VisFollowers, InReplyToID: post,
				InReplyToAccountID: a1.ID, Source: "r", HTML: "<p>r</p>"})
			return err
		}},
		{"its author renames", func(s *postgres.Store) error {
			return s.UpdateProfile(ctx, a1.ID, ruche.ProfileFields{DisplayName: "Author One"})
		}},
		{"someone follows again", func(s *postgres.Store) error { return s.SetFollowing(ctx, member.ID, a1.ID, true) }},
		{"it is deleted", func(s *postgres.Store) error { return s.DeletePost(ctx, post) }},
	}
	for i, step := range steps {
		// Every other change is made by the other store, so both ways of hearing of a
		// change are tried: one's own writes, and another node's.
		by := twin
		if i%2 == 1 {
			by = w.store
		}
		if err := step.do(by); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		sameHomes(t, w, twin, step.what)
	}
}
