package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestGuestsKnowWhoWroteToThemWhereTheyCanRead: a guest knows a member who wrote to
// them, but not through a post they cannot see (a group post of a group they are not
// in): knowing the author from that would tell them what was said where.
func TestGuestsKnowWhoWroteToThemWhereTheyCanRead(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	ana := user(t, s, "ana", ruche.RoleMember)
	bob := user(t, s, "bob", ruche.RoleMember)
	gus := user(t, s, "gus", ruche.RoleGuest)
	group, err := s.CreateGroup(ctx, ana.ID, "team", ruche.GroupFields{Name: "Team", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	// Ana mentions Gus in her group, which he is not in; Bob writes to him directly.
	if _, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisGroup, GroupID: group,
		Source: "@gus", HTML: "<p>@gus</p>", MentionIDs: []int64{gus.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: bob.ID, Visibility: ruche.VisDirect,
		Source: "@gus hi", HTML: "<p>@gus hi</p>", MentionIDs: []int64{gus.ID}}); err != nil {
		t.Fatal(err)
	}
	v := ruche.ViewerOf(gus)
	if _, err := s.AccountByUsername(ctx, v, "ana"); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("guest finds ana through a group post he cannot read: %v", err)
	}
	if _, err := s.AccountByHandle(ctx, v, "ana"); ruche.ErrorCode(err) != ruche.CodeNotFound {
		t.Errorf("guest knows ana's account through a group post he cannot read: %v", err)
	}
	if _, err := s.AccountByUsername(ctx, v, "bob"); err != nil {
		t.Errorf("guest cannot find bob, who wrote to him: %v", err)
	}
	if _, err := s.AccountByHandle(ctx, v, "bob"); err != nil {
		t.Errorf("guest cannot know bob, who wrote to him: %v", err)
	}
}
