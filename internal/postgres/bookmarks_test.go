package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// bookmarks reads the whole bookmarks stream of v (one large page), newest bookmark
// first, once the clock has passed the last write (see clientHive.stream).
func (h *clientHive) bookmarks(v ruche.User) []int64 {
	h.t.Helper()
	time.Sleep(3 * time.Millisecond)
	posts, _, err := h.posts.Bookmarks(context.Background(), v, ruche.Page{Limit: 40})
	if err != nil {
		h.t.Fatalf("bookmarks of %s: %v", v.Username, err)
	}
	return ids(posts)
}

func TestBookmarksNewestBookmarkFirstAndGated(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	ana := user(t, h.store, "ana", ruche.RoleMember)
	h.follow(olga, ana)
	p1 := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "one"})
	p2 := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "two"})
	p3 := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "three"})
	narrow := h.write(ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisFollowers, Source: "followers"})
	for _, id := range []int64{p2, narrow, p3, p1} { // bookmarked in this order
		if err := h.posts.SetBookmarked(ctx, olga, id, true); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if got, want := h.bookmarks(olga), []int64{p1, p3, narrow, p2}; !slices.Equal(got, want) {
		t.Errorf("bookmarks = %v, want newest bookmark first %v", got, want)
	}
	// Bookmarking again changes nothing, not even the order.
	if err := h.posts.SetBookmarked(ctx, olga, p2, true); err != nil {
		t.Fatal(err)
	}
	if got, want := h.bookmarks(olga), []int64{p1, p3, narrow, p2}; !slices.Equal(got, want) {
		t.Errorf("bookmarks after bookmarking p2 again = %v, want %v", got, want)
	}
	// Pages are bounded by the bookmarks' ids.
	nextBounds := pagesByMark(t, func(pg ruche.Page) ([]ruche.Post, ruche.PageBounds, error) {
		return h.posts.Bookmarks(ctx, olga, pg)
	}, [4]int64{p1, p3, narrow, p2})
	last, lastBounds, err := h.posts.Bookmarks(ctx, olga, ruche.Page{MaxID: nextBounds.Oldest, Limit: 2})
	if err != nil || len(last) != 0 || lastBounds != (ruche.PageBounds{}) {
		t.Errorf("page past the end = %v %+v, %v; want empty", ids(last), lastBounds, err)
	}
	// The web UI's stream (Timeline) keeps its order by post id.
	if got, want := h.stream(olga, ruche.Stream{Kind: ruche.StreamBookmarks}, ruche.Page{}), []int64{narrow, p3, p2, p1}; !slices.Equal(got, want) {
		t.Errorf("bookmarks stream = %v, want by post id %v", got, want)
	}
	// A post olga may no longer see leaves her bookmarks.
	if err := h.store.SetFollowing(ctx, olga.ID, ana.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := h.bookmarks(olga), []int64{p1, p3, p2}; !slices.Equal(got, want) {
		t.Errorf("bookmarks after unfollowing = %v, want %v", got, want)
	}
	// Forgetting takes a post out; nobody else's bookmarks are in it.
	if err := h.posts.SetBookmarked(ctx, olga, p3, false); err != nil {
		t.Fatal(err)
	}
	if got, want := h.bookmarks(olga), []int64{p1, p2}; !slices.Equal(got, want) {
		t.Errorf("bookmarks after forgetting p3 = %v, want %v", got, want)
	}
	if got := h.bookmarks(ana); len(got) != 0 {
		t.Errorf("ana's bookmarks = %v, want none", got)
	}
}

// crashingStore is a store whose CreatePost fails, before writing (failBefore) or
// after its transaction committed (as when the process dies before answering).
type crashingStore struct {
	*postgres.Store
	failBefore, failAfter bool
}

var errCrash = errors.New("crash")

func (s *crashingStore) CreatePost(ctx context.Context, d ruche.PostDraft) (int64, error) {
	if s.failBefore {
		return 0, errCrash
	}
	id, err := s.Store.CreatePost(ctx, d)
	if err == nil && s.failAfter {
		return 0, errCrash
	}
	return id, err
}

// ageKey makes accountID's claim of key look older than the minute after which an
// unfinished claim is taken for abandoned.
func ageKey(t *testing.T, s *postgres.Store, accountID int64, key string) {
	t.Helper()
	if _, err := s.Pool().Exec(context.Background(), `UPDATE idempotency_keys SET created_at = now() - interval '2 minutes'
		WHERE account_id = $1 AND key = $2`, accountID, key); err != nil {
		t.Fatal(err)
	}
}

func TestIdempotencyKeyIsRecordedWithThePost(t *testing.T) {
	ctx := context.Background()
	h := newClientHive(t)
	olga := user(t, h.store, "olga", ruche.RoleMember)
	n := ruche.NewPost{Source: "hello"}

	// The store writes a post under a key only while the author holds it, claimed and
	// free, and records it in the same transaction.
	_, err := h.store.CreatePost(ctx, ruche.PostDraft{AuthorID: olga.ID, Visibility: ruche.VisCompany, Source: "x",
		HTML: "<p>x</p>", IdempotencyKey: "unclaimed"})
	wantError(t, "unclaimed key", err, ruche.CodeConflict, "error.post_in_progress")
	if got := countPosts(t, h.store, olga.ID); got != 0 {
		t.Fatalf("%d posts under an unclaimed key, want 0", got)
	}
	if _, claimed, err := h.store.ClaimIdempotencyKey(ctx, olga.ID, "direct"); err != nil || !claimed {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	draft := ruche.PostDraft{AuthorID: olga.ID, Visibility: ruche.VisCompany, Source: "x", HTML: "<p>x</p>", IdempotencyKey: "direct"}
	id, err := h.store.CreatePost(ctx, draft)
	if err != nil {
		t.Fatal(err)
	}
	if postID, claimed, err := h.store.ClaimIdempotencyKey(ctx, olga.ID, "direct"); err != nil || claimed || postID != id {
		t.Errorf("claim after the post = %d, %v, %v; want post %d", postID, claimed, err, id)
	}
	_, err = h.store.CreatePost(ctx, draft)
	wantError(t, "second post under a recorded key", err, ruche.CodeConflict, "error.post_in_progress")
	if got := countPosts(t, h.store, olga.ID); got != 1 {
		t.Fatalf("%d posts, want 1", got)
	}
	// A post that fails inside its transaction, after recording the key, leaves the
	// claim unfinished, and no post.
	if _, claimed, err := h.store.ClaimIdempotencyKey(ctx, olga.ID, "broken"); err != nil || !claimed {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	broken := draft
	broken.IdempotencyKey, broken.MentionIDs = "broken", []int64{1 << 40} // no such account
	if _, err := h.store.CreatePost(ctx, broken); err == nil {
		t.Fatal("a post mentioning a missing account was written")
	}
	if postID, claimed, err := h.store.ClaimIdempotencyKey(ctx, olga.ID, "broken"); err != nil || claimed || postID != 0 {
		t.Errorf("claim after a failed post = %d, %v, %v; want still in progress", postID, claimed, err)
	}
	if got := countPosts(t, h.store, olga.ID); got != 1 {
		t.Fatalf("%d posts, want 1", got)
	}

	// A request that dies after the post committed, before answering: the key was
	// recorded with the post, so a retry long after returns that post.
	crashing := &crashingStore{Store: h.store, failAfter: true}
	ps := &ruche.Posts{Store: crashing, BaseURL: h.posts.BaseURL}
	if _, err := ps.CreateIdempotent(ctx, olga, "after", n); !errors.Is(err, errCrash) {
		t.Fatalf("crash after the post: %v", err)
	}
	ageKey(t, h.store, olga.ID, "after")
	crashing.failAfter = false
	p, err := ps.CreateIdempotent(ctx, olga, "after", ruche.NewPost{Source: "hello, retried"})
	if err != nil || p.Source != "hello" {
		t.Errorf("retry after the crash = %+v, %v; want the first post", p, err)
	}
	if got := countPosts(t, h.store, olga.ID); got != 2 {
		t.Errorf("%d posts after a crash and a retry, want 2", got)
	}

	// A request whose post fails frees its key: the retry posts, once.
	crashing.failBefore = true
	if _, err := ps.CreateIdempotent(ctx, olga, "before", n); !errors.Is(err, errCrash) {
		t.Fatalf("failed post: %v", err)
	}
	crashing.failBefore = false
	first, err := ps.CreateIdempotent(ctx, olga, "before", n)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := ps.CreateIdempotent(ctx, olga, "before", n); err != nil || again.ID != first.ID {
		t.Errorf("second request = %d, %v; want post %d", again.ID, err, first.ID)
	}
	if got := countPosts(t, h.store, olga.ID); got != 3 {
		t.Errorf("%d posts, want 3", got)
	}

	// A request that died between claiming and writing leaves a claim without a post;
	// after a minute the retry takes it over and posts, once.
	if _, claimed, err := h.store.ClaimIdempotencyKey(ctx, olga.ID, "between"); err != nil || !claimed {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	_, err = ps.CreateIdempotent(ctx, olga, "between", n)
	wantError(t, "retry within the minute", err, ruche.CodeConflict, "error.post_in_progress")
	ageKey(t, h.store, olga.ID, "between")
	retried, err := ps.CreateIdempotent(ctx, olga, "between", n)
	if err != nil {
		t.Fatal(err)
	}
	ageKey(t, h.store, olga.ID, "between")
	if again, err := ps.CreateIdempotent(ctx, olga, "between", n); err != nil || again.ID != retried.ID {
		t.Errorf("later retry = %d, %v; want post %d", again.ID, err, retried.ID)
	}
	if got := countPosts(t, h.store, olga.ID); got != 4 {
		t.Errorf("%d posts, want 4", got)
	}
}
