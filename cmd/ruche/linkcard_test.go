package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/linkpreview"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/safehttp"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// ogPage is a web page with OpenGraph tags that counts its visitors.
func ogPage(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<html><head><title>Plain</title><meta property="og:title" content="Quarterly plan">
			<meta property="og:description" content="What we ship next"><meta property="og:site_name" content="Plans"></head></html>`))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// A post's first link gets its card in the background: the post is made at once, and
// shows the card once fetched. A link to an internal host is never fetched.
func TestLinkCards(t *testing.T) {
	ctx := context.Background()
	srv, hits := ogPage(t)
	internal, internalHits := ogPage(t)
	m, base := bootWith(t, testdb.New(t), map[string]string{"RUCHE_PREVIEW_INTERNAL_HOSTS": "*.corp.localhost"})
	s := &fedSite{m: m, posts: &ruche.Posts{Store: m.db.store}}
	ana := s.user(t, "ana")
	app := withToken(t, m, base, ana, "read")
	// In development, *.localhost names reach this machine (and are linked, unlike
	// bare addresses).
	site := "http://plans.localhost:" + srv.URL[len("http://127.0.0.1:"):]
	p, err := s.posts.Create(ctx, ana, ruche.NewPost{Source: "Read " + site + "/plan please"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the card never came", func() bool {
		got, err := s.posts.Post(ctx, ana, p.ID)
		return err == nil && got.Card != nil
	})
	got, _ := s.posts.Post(ctx, ana, p.ID)
	if c := got.Card; c.Title != "Quarterly plan" || c.Description != "What we ship next" || c.Provider != "Plans" || c.URL != site+"/plan" {
		t.Errorf("card: %+v", c)
	}
	// Apps get it as the status's card (checked against Mastodon's schema).
	var st struct {
		Card *struct{ Title, URL string }
	}
	app.get("/api/v1/statuses/"+idOf(p.ID), &st)
	if st.Card == nil || st.Card.Title != "Quarterly plan" {
		t.Errorf("the status's card: %+v", st.Card)
	}
	// A second post to the same page uses the same card: one fetch.
	if _, err := s.posts.Create(ctx, ana, ruche.NewPost{Source: "Again: " + site + "/plan"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if n := hits.Load(); n != 1 {
		t.Errorf("the page was fetched %d times, want once", n)
	}

	// A post with photos shows them, not a card: its link is not fetched.
	photo, err := m.media.Upload(ctx, ana, ruche.Upload{Body: bytes.NewReader(corpus(t, "text-chunks.png"))}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.posts.Create(ctx, ana, ruche.NewPost{Source: "Pictured: " + site + "/photos", MediaIDs: []int64{photo.ID}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, m, `SELECT count(*) FROM link_cards WHERE url = $1`, site+"/photos"); n != 0 {
		t.Error("a post with photos had its link's card fetched")
	}

	// The intranet is never fetched.
	intra := "http://wiki.corp.localhost:" + internal.URL[len("http://127.0.0.1:"):] + "/wiki"
	q, err := s.posts.Create(ctx, ana, ruche.NewPost{Source: "See " + intra})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the internal link's card was never settled", func() bool {
		return count(t, m, `SELECT count(*) FROM link_cards WHERE url = $1 AND state = 'failed'`, intra) == 1
	})
	if got, _ := s.posts.Post(ctx, ana, q.ID); got.Card != nil || internalHits.Load() != 0 {
		t.Errorf("internal link: card %+v, %d requests", got.Card, internalHits.Load())
	}
}

// Outside development, a link to a private or loopback address is never fetched,
// whatever its name: the production client refuses it before connecting.
func TestLinkCardsRefuseLoopback(t *testing.T) {
	ctx := context.Background()
	srv, hits := ogPage(t)
	m, _ := bootWith(t, testdb.New(t), nil)
	previews := &ruche.Previews{Store: m.db.store, Fetcher: &linkpreview.Fetcher{Client: safehttp.NewClient(safehttp.Options{})}}
	port := srv.URL[len("http://127.0.0.1:"):]
	for _, link := range []string{srv.URL + "/x", "http://plans.localhost:" + port + "/y", "http://localhost:" + port + "/z"} {
		// The row a post's link makes; the node's own job is not involved.
		if _, err := m.db.store.Pool().Exec(ctx, `INSERT INTO link_cards (url) VALUES ($1)`, link); err != nil {
			t.Fatal(err)
		}
		if err := previews.Fetch(ctx, link); err != nil {
			t.Fatal(err)
		}
		if n := count(t, m, `SELECT count(*) FROM link_cards WHERE url = $1 AND state = 'failed'`, link); n != 1 {
			t.Errorf("%s: no failed card recorded", link)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the loopback page was fetched %d times", n)
	}
}
