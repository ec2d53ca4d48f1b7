package postgres_test

import (
	"context"
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
}
