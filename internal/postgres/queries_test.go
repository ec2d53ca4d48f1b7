package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestPagesCostTheSameWhateverTheirSize: a page of 40 posts runs as many statements
// as a page of 10 — posts, their authors, counts, mentions, tags and boosted originals
// are loaded per page, never per post (no N+1). The client API's timelines are these
// calls plus a token lookup.
func TestPagesCostTheSameWhateverTheirSize(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	viewer := user(t, s, "viewer", ruche.RoleMember)
	var authors []ruche.User
	for i := range 3 {
		a := user(t, s, fmt.Sprintf("author%d", i), ruche.RoleMember)
		authors = append(authors, a)
		if err := s.SetFollowing(ctx, viewer.ID, a.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	for i := range 60 {
		a := authors[i%3]
		id, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: a.ID, Visibility: ruche.VisCompany, Source: "post #tag",
			HTML: "<p>post</p>", Tags: []string{"tag"}, MentionIDs: []int64{viewer.ID}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		if err := s.SetLiked(ctx, viewer.ID, id, true); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 { // boosts, whose originals are loaded too
			if _, err := s.Boost(ctx, authors[(i+1)%3].ID, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	v := ruche.ViewerOf(viewer)
	streams := []ruche.Stream{{Kind: ruche.StreamHome}, {Kind: ruche.StreamCompany}, {Kind: ruche.StreamTag, Tag: "tag"},
		{Kind: ruche.StreamProfile, AccountID: authors[0].ID}, {Kind: ruche.StreamFavourites}}
	cost := func(f func(ctx context.Context) (int, error)) (int64, int) {
		t.Helper()
		cctx, n := postgres.CountQueries(ctx)
		got, err := f(cctx)
		if err != nil {
			t.Fatal(err)
		}
		if n.Load() == 0 {
			t.Fatal("no statement counted: is the store's tracer installed?")
		}
		return n.Load(), got
	}
	for _, st := range streams {
		page := func(limit int) func(ctx context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				ps, err := s.Timeline(ctx, v, st, ruche.Page{Limit: limit})
				return len(ps), err
			}
		}
		// Both pages hold boosts where the stream has them (their originals are one
		// more statement per page).
		small, n10 := cost(page(10))
		large, n40 := cost(page(40))
		if n10 != 10 || n40 < 20 {
			t.Fatalf("%s: pages of %d and %d posts, want 10 and at least 20", st.Kind, n10, n40)
		}
		if large != small {
			t.Errorf("%s: a page of %d runs %d statements, a page of %d runs %d", st.Kind, n10, small, n40, large)
		}
	}
	notes := func(limit int) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			ns, err := s.NotificationsFiltered(ctx, v, ruche.Page{Limit: limit}, ruche.NotificationFilter{})
			return len(ns), err
		}
	}
	small, n2 := cost(notes(2))
	large, n40 := cost(notes(40))
	if n2 != 2 || n40 != 40 || large != small {
		t.Errorf("notifications: %d statements for %d, %d for %d", small, n2, large, n40)
	}
}
