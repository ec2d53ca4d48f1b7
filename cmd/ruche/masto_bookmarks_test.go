package main

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/mastoapi"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// bmHive is the cast of the bookmarks tests: posts written through the domain,
// bookmarks made and read through the API.
type bmHive struct {
	t      *testing.T
	posts  *ruche.Posts
	groups *ruche.Groups
}

func (h *bmHive) post(c *mclient, n ruche.NewPost) ruche.Post {
	h.t.Helper()
	p, err := h.posts.Create(context.Background(), c.user, n)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// bmMark bookmarks p as c's member, then lets the clock move on, so that each
// bookmark has its own millisecond and the next read is past the stream horizon.
func bmMark(c *mclient, p ruche.Post) {
	c.t.Helper()
	if s := stStatus(c.t, c.ok("POST", "/api/v1/statuses/"+idOf(p.ID)+"/bookmark", nil)); !s.Bookmarked {
		c.t.Errorf("bookmark %d → bookmarked false", p.ID)
	}
	time.Sleep(3 * time.Millisecond)
}

// bmRead reads one page of c's bookmarks at path (with its query).
func bmRead(c *mclient, path string) ([]string, reply) {
	c.t.Helper()
	var got []mastoapi.Status
	r := c.get(path, &got)
	for _, s := range got {
		if !s.Bookmarked {
			c.t.Errorf("%s: %s not marked bookmarked", path, s.ID)
		}
	}
	return stIDs(got), r
}

func bmIDs(ps ...ruche.Post) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, idOf(p.ID))
	}
	return out
}

func newBMHive(t *testing.T) (*bmHive, *Main, string) {
	m, base := boot(t)
	return &bmHive{t: t, posts: &ruche.Posts{Store: m.db.store, BaseURL: m.Config.BaseURL()},
		groups: &ruche.Groups{Store: m.db.store}}, m, base
}

// TestMastoBookmarksByBookmarkOrder checks that bookmarks come newest bookmark first,
// as in Mastodon, and page by bookmark through the Link header.
func TestMastoBookmarksByBookmarkOrder(t *testing.T) {
	h, m, base := newBMHive(t)
	alice := member(t, m, base, "alice", ruche.RoleMember, "read write follow")
	bob := member(t, m, base, "bob", ruche.RoleMember, "read:bookmarks write:bookmarks")

	old := h.post(alice, ruche.NewPost{Source: "An old post"})
	newer := h.post(alice, ruche.NewPost{Source: "A newer post"})
	bmMark(bob, newer)
	bmMark(bob, old)
	if got, want := bmFirst(bmRead(bob, "/api/v1/bookmarks")), bmIDs(old, newer); !slices.Equal(got, want) {
		t.Errorf("bookmarks = %v, want the last bookmarked first %v", got, want)
	}

	p3 := h.post(alice, ruche.NewPost{Source: "three"})
	p4 := h.post(alice, ruche.NewPost{Source: "four"})
	p5 := h.post(alice, ruche.NewPost{Source: "five"})
	for _, p := range []ruche.Post{p4, p3, p5} {
		bmMark(bob, p)
	}
	// Newest bookmark first: p5, p3, p4, old, newer; two a page.
	first, r := bmRead(bob, "/api/v1/bookmarks?limit=2")
	if want := bmIDs(p5, p3); !slices.Equal(first, want) {
		t.Errorf("first page = %v, want %v", first, want)
	}
	next := tlLink(t, r, "next")
	u, err := url.Parse(next)
	if err != nil || u.Path != "/api/v1/bookmarks" || u.Query().Get("limit") != "2" {
		t.Fatalf("next link %q", next)
	}
	if maxID := u.Query().Get("max_id"); maxID == "" || maxID == idOf(p3.ID) {
		t.Errorf("next link %q: max_id should be the bookmark's id, not the post's", next)
	}
	second, r := bmRead(bob, next)
	if want := bmIDs(p4, old); !slices.Equal(second, want) {
		t.Errorf("second page = %v, want %v", second, want)
	}
	if prev, want := bmFirst(bmRead(bob, tlLink(t, r, "prev"))), bmIDs(p5, p3); !slices.Equal(prev, want) {
		t.Errorf("page before the second = %v, want %v", prev, want)
	}
	third, r := bmRead(bob, tlLink(t, r, "next"))
	if want := bmIDs(newer); !slices.Equal(third, want) {
		t.Errorf("third page = %v, want %v", third, want)
	}
	end, r := bmRead(bob, tlLink(t, r, "next"))
	if len(end) != 0 || r.header.Get("Link") != "" {
		t.Errorf("past the end = %v, Link %q; want nothing", end, r.header.Get("Link"))
	}

	// Forgetting a bookmark takes it out; bookmarking again puts it first.
	bob.ok("POST", "/api/v1/statuses/"+idOf(p3.ID)+"/unbookmark", nil)
	bmMark(bob, old)
	if got, want := bmFirst(bmRead(bob, "/api/v1/bookmarks")), bmIDs(p5, p4, old, newer); !slices.Equal(got, want) {
		t.Errorf("after unbookmarking p3 = %v, want %v", got, want)
	}
	// Nobody else's bookmarks show; bad cursors are refused.
	if got := bmFirst(bmRead(alice, "/api/v1/bookmarks")); len(got) != 0 {
		t.Errorf("alice's bookmarks = %v, want none", got)
	}
	stError(bob, 422, "GET", "/api/v1/bookmarks?max_id=abc", nil, "")
}

// TestMastoBookmarksGated checks that a bookmarked post the member may no longer see
// leaves their bookmarks.
func TestMastoBookmarksGated(t *testing.T) {
	h, m, base := newBMHive(t)
	ctx := context.Background()
	alice := member(t, m, base, "alice", ruche.RoleMember, "read write follow")
	carol := member(t, m, base, "carol", ruche.RoleMember, "read write follow")

	open := h.post(alice, ruche.NewPost{Source: "For everyone"})
	carol.ok("POST", "/api/v1/accounts/"+idOf(alice.user.ID)+"/follow", nil)
	followers := h.post(alice, ruche.NewPost{Source: "For my followers", Visibility: ruche.VisFollowers})
	garden, err := h.groups.Create(ctx, alice.user, "garden", ruche.GroupFields{Name: "Garden", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.groups.Join(ctx, carol.user, garden.Handle); err != nil {
		t.Fatal(err)
	}
	grouped := h.post(alice, ruche.NewPost{Source: "For the garden", GroupHandle: garden.Handle})
	for _, p := range []ruche.Post{open, followers, grouped} {
		bmMark(carol, p)
	}
	if got, want := bmFirst(bmRead(carol, "/api/v1/bookmarks")), bmIDs(grouped, followers, open); !slices.Equal(got, want) {
		t.Fatalf("bookmarks = %v, want %v", got, want)
	}

	// Carol unfollows alice: the followers-only post is no longer hers to see.
	carol.ok("POST", "/api/v1/accounts/"+idOf(alice.user.ID)+"/unfollow", nil)
	time.Sleep(3 * time.Millisecond)
	if got, want := bmFirst(bmRead(carol, "/api/v1/bookmarks")), bmIDs(grouped, open); !slices.Equal(got, want) {
		t.Errorf("bookmarks after unfollowing = %v, want %v", got, want)
	}
	carol.want(404, "GET", "/api/v1/statuses/"+idOf(followers.ID), nil)

	// Alice removes carol from the garden: its post goes too.
	if err := h.groups.Remove(ctx, alice.user, garden.Handle, "carol"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	if got, want := bmFirst(bmRead(carol, "/api/v1/bookmarks")), bmIDs(open); !slices.Equal(got, want) {
		t.Errorf("bookmarks after leaving the group = %v, want %v", got, want)
	}
	carol.want(404, "POST", "/api/v1/statuses/"+idOf(grouped.ID)+"/bookmark", nil)
}

// bmFirst keeps the first of two results (a page's ids, without its reply).
func bmFirst[A, B any](a A, _ B) A { return a }
