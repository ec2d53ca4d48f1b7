package postgres_test

import (
	"context"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestPollingNeverSkipsALateCommit plays the race that streams must survive: post A
// gets its id first but commits last, after a newer post B is already visible. A
// client that read B and then polls for posts newer than what it has must still get A.
func TestPollingNeverSkipsALateCommit(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	ana := user(t, s, "ana", ruche.RoleMember)
	bob := user(t, s, "bob", ruche.RoleMember)
	viewer := ruche.ViewerOf(bob)
	company := ruche.Stream{Kind: ruche.StreamCompany}

	// A: inserted in a transaction that stays open.
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	txA, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	// A writer of posts names itself first, as the store's writers do.
	if _, err := txA.Exec(ctx, `SELECT set_config('application_name', 'ruche:writing-posts', true)`); err != nil {
		t.Fatal(err)
	}
	var idA int64
	if err := txA.QueryRow(ctx, `INSERT INTO posts (account_id, visibility, source, html) VALUES ($1, 'company', 'A', '<p>A</p>') RETURNING id`,
		ana.ID).Scan(&idA); err != nil {
		t.Fatal(err)
	}
	// B: newer id, committed at once.
	idB, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "B", HTML: "<p>B</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if idB <= idA {
		t.Fatalf("ids out of order: A %d, B %d", idA, idB)
	}

	// The client reads the stream while A is in flight and keeps the newest id as
	// its cursor.
	page, err := s.Timeline(ctx, viewer, company, ruche.Page{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var cursor int64
	for _, p := range page {
		cursor = max(cursor, p.ID)
	}
	if cursor >= idB {
		t.Fatalf("B (%d) was shown while A (%d, older id) was uncommitted: a poll after cursor %d would skip A", idB, idA, cursor)
	}

	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	newer, err := s.Timeline(ctx, viewer, company, ruche.Page{MinID: cursor, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for _, p := range newer {
		got[p.ID] = true
	}
	if !got[idA] || !got[idB] {
		t.Errorf("poll after commit = %v, want both A %d and B %d", got, idA, idB)
	}
}

// TestOtherTransactionsDoNotHoldStreamsBack: a transaction that writes no posts (the
// job queue's, say) does not hide a post committed while it is open.
func TestOtherTransactionsDoNotHoldStreamsBack(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	ana := user(t, s, "ana", ruche.RoleMember)
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	other, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(ctx)
	if _, err := other.Exec(ctx, `SELECT count(*) FROM accounts`); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: ana.ID, Visibility: ruche.VisCompany, Source: "now", HTML: "<p>now</p>"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.Timeline(ctx, ruche.ViewerOf(ana), ruche.Stream{Kind: ruche.StreamCompany}, ruche.Page{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].ID != id {
		t.Fatalf("company stream = %v, want the post just written while another transaction is open", page)
	}
}
