package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// One outbox drain at a time: a second one, on another node, finds the lock taken,
// until the first gives it back.
func TestFederationOutboxLock(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	release, ok, err := s.LockFederationOutbox(ctx)
	if err != nil || !ok {
		t.Fatalf("first lock: ok=%v err=%v", ok, err)
	}
	if _, ok, err := s.LockFederationOutbox(ctx); err != nil || ok {
		t.Fatalf("second lock while held: ok=%v err=%v, want refused", ok, err)
	}
	release()
	again, ok, err := s.LockFederationOutbox(ctx)
	if err != nil || !ok {
		t.Fatalf("lock after release: ok=%v err=%v", ok, err)
	}
	again()
}

// A partner's edits may arrive out of order: the one stored is the latest made there.
func TestEditPostKeepsTheLatestPartnerEdit(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	a := user(t, s, "ana", ruche.RoleMember)
	id, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: a.ID, Visibility: ruche.VisCompany, Source: "v1", HTML: "<p>v1</p>"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	edit := func(text string, at time.Time) {
		t.Helper()
		if err := s.EditPost(ctx, id, ruche.PostDraft{AuthorID: a.ID, Visibility: ruche.VisCompany, Source: text, HTML: "<p>" + text + "</p>", EditedAt: &at}); err != nil {
			t.Fatal(err)
		}
	}
	source := func() string {
		t.Helper()
		var src string
		if err := s.Pool().QueryRow(ctx, `SELECT source FROM posts WHERE id = $1`, id).Scan(&src); err != nil {
			t.Fatal(err)
		}
		return src
	}
	edit("v3", t0.Add(2*time.Second))
	edit("v2", t0.Add(time.Second)) // older, arriving late
	if got := source(); got != "v3" {
		t.Errorf("after a late older edit: %q, want v3", got)
	}
	if n := count(t, s, `SELECT count(*) FROM post_edits WHERE post_id = $1`, id); n != 1 {
		t.Errorf("%d earlier versions kept, want 1 (the late edit changes nothing)", n)
	}
	edit("v4", t0.Add(2*time.Second)) // the same second: the later arrival wins
	if got := source(); got != "v4" {
		t.Errorf("after an edit of the same second: %q, want v4", got)
	}
	edit("v4", t0.Add(2*time.Second)) // the same edit again: nothing new in the history
	if n := count(t, s, `SELECT count(*) FROM post_edits WHERE post_id = $1`, id); n != 2 {
		t.Errorf("%d earlier versions after a repeated edit, want 2", n)
	}
}

// A partner's post is kept once per group that brought it: a copy announced first by
// another group does not make the real one a duplicate; a deletion in one group leaves
// the other copy, and is remembered for that group only, unless the author's own
// instance said it (group 0).
func TestPartnersPostsPerGroup(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	owner := user(t, s, "owner", ruche.RoleMember)
	groups := &ruche.Groups{Store: s, Shares: s}
	one, err := groups.Create(ctx, owner, "one", ruche.GroupFields{Name: "One", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	two, err := groups.Create(ctx, owner, "two", ruche.GroupFields{Name: "Two", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	gil, err := s.UpsertRemoteAccount(ctx, ruche.RemoteActor{IRI: "https://c.example/users/gil", Host: "c.example"}, "gil", "Gil", true)
	if err != nil {
		t.Fatal(err)
	}
	const id = "https://c.example/notes/1"
	draft := func(group int64) ruche.PostDraft {
		return ruche.PostDraft{AuthorID: gil, Visibility: ruche.VisGroup, GroupID: group, Source: "x", HTML: "<p>x</p>", APID: id}
	}
	first, err := s.CreatePost(ctx, draft(one.ID))
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.CreatePost(ctx, draft(two.ID))
	if err != nil {
		t.Fatalf("the same post in another group: %v", err)
	}
	if _, err := s.CreatePost(ctx, draft(two.ID)); !errors.Is(err, ruche.ErrConflict) {
		t.Errorf("a second copy in the same group: %v, want a conflict", err)
	}
	if got, _, _, err := s.PostByAPID(ctx, id, two.ID); err != nil || got != second {
		t.Errorf("the copy in two: %d %v, want %d", got, err, second)
	}
	if got, _, _, err := s.PostByAPID(ctx, id, 0); err != nil || got != first {
		t.Errorf("any copy: %d %v, want the oldest, %d", got, err, first)
	}
	if err := s.Tombstone(ctx, id, one.ID); err != nil {
		t.Fatal(err)
	}
	for g, want := range map[int64]bool{one.ID: true, two.ID: false} {
		if gone, err := s.Tombstoned(ctx, id, g); err != nil || gone != want {
			t.Errorf("tombstoned in %d: %v %v, want %v", g, gone, err, want)
		}
	}
	// A copy arriving after its deletion in that group is not stored.
	const late = "https://c.example/notes/2"
	if err := s.Tombstone(ctx, late, two.ID); err != nil {
		t.Fatal(err)
	}
	d := draft(two.ID)
	d.APID = late
	if _, err := s.CreatePost(ctx, d); !errors.Is(err, ruche.ErrConflict) {
		t.Errorf("a copy after its Delete: %v, want refused", err)
	}
	if err := s.Tombstone(ctx, id, 0); err != nil {
		t.Fatal(err)
	}
	if gone, _ := s.Tombstoned(ctx, id, two.ID); !gone {
		t.Error("the author's own deletion does not count in every group")
	}
}
