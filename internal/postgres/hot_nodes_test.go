package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestHotReplyCountAfterMentionRemoved: a direct reply that mentioned X is edited so
// that it no longer does. SQL stops counting it in X's replies_count of the parent;
// the read model must forget the parent's reply facts too (the mentions trigger
// announces the parent), or X would still be told the hidden reply exists.
func TestHotReplyCountAfterMentionRemoved(t *testing.T) {
	for _, editor := range []string{"other node", "this node"} {
		t.Run(editor, func(t *testing.T) {
			ctx := context.Background()
			w := buildWorld(t)
			twin := cachedTwin(t, w)
			by := map[string]*postgres.Store{"other node": w.store, "this node": twin}[editor]
			a1 := w.viewers[0]
			var x, b ruche.User // x follows author1; b does not
			for _, v := range w.viewers {
				switch v.Username {
				case "v_member_true":
					x = v
				case "v_member_false":
					b = v
				}
			}
			parent, err := w.store.CreatePost(ctx, ruche.PostDraft{AuthorID: a1.ID, Visibility: ruche.VisCompany, Source: "p", HTML: "<p>p</p>"})
			if err != nil {
				t.Fatal(err)
			}
			reply, err := w.store.CreatePost(ctx, ruche.PostDraft{AuthorID: b.ID, Visibility: ruche.VisDirect, InReplyToID: parent,
				InReplyToAccountID: a1.ID, MentionIDs: []int64{a1.ID, x.ID}, Source: "secret", HTML: "<p>secret</p>"})
			if err != nil {
				t.Fatal(err)
			}
			replies := func(s *postgres.Store) int {
				t.Helper()
				posts, err := s.Timeline(ctx, ruche.ViewerOf(x), ruche.Stream{Kind: ruche.StreamHome}, ruche.Page{Limit: 40})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range posts {
					if p.ID == parent {
						return p.Replies
					}
				}
				t.Fatalf("parent not on x's home")
				return -1
			}
			settle(t, twin)
			if got, want := replies(twin), replies(w.store); got != 1 || want != 1 {
				t.Fatalf("before: memory %d, SQL %d, want 1", got, want)
			}
			served := twin.HotServed()
			if err := by.EditPost(ctx, reply, ruche.PostDraft{AuthorID: b.ID, Visibility: ruche.VisDirect,
				MentionIDs: []int64{a1.ID}, Source: "secret", HTML: "<p>secret</p>"}); err != nil {
				t.Fatal(err)
			}
			settle(t, twin)
			got, want := replies(twin), replies(w.store)
			if twin.HotServed() == served {
				t.Fatal("not served from memory")
			}
			if got != want {
				t.Errorf("x no longer mentioned: replies_count from memory %d, from SQL %d", got, want)
			}
		})
	}
}

// TestHotServesAfterListenerGoesSilent: the listener's connection stops delivering
// (a black-holed TCP path, a proxy whose upstream hung) without an error. Without the
// heartbeat every cached home would keep being served: here a member removed from a
// secret group would still read its posts from memory, which SQL refuses.
func TestHotServesAfterListenerGoesSilent(t *testing.T) {
	ctx := context.Background()
	w := buildWorld(t)
	proxy := newFreezeProxy(t, w.store.ConnString())
	twin := cachedTwin(t, &world{store: proxyStore(t, w.store.ConnString(), proxy.addr)})
	t.Cleanup(func() { proxy.frozen.Store(false) })
	x, groupPosts := groupReader(t, w)
	settle(t, twin)
	if groupPosts(twin) == 0 {
		t.Fatal("x sees no group post to begin with")
	}
	proxy.frozen.Store(true) // the listener's connection stays open but goes quiet
	if err := w.store.RemoveMembership(ctx, w.group, x.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3500 * time.Millisecond) // past the silence a listener tolerates
	served := twin.HotServed()
	got, want := groupPosts(twin), groupPosts(w.store)
	if twin.HotServed() != served {
		t.Error("served from memory by a listener that has heard nothing, not even a heartbeat, for 3 s")
	}
	if got != want {
		t.Errorf("3s after x left the secret group: %d group posts from memory, %d from SQL", got, want)
	}
}

type freezeProxy struct {
	addr   string
	frozen atomic.Bool
}

// newFreezeProxy forwards to the database of connString; once frozen, it stops passing
// server bytes to any connection that sent LISTEN, without closing anything.
func newFreezeProxy(t *testing.T, connString string) *freezeProxy {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		t.Fatal(err)
	}
	network, target := "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		network, target = "unix", filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.Port))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &freezeProxy{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial(network, target)
			if err != nil {
				c.Close()
				continue
			}
			var listener atomic.Bool
			go func() { // client → server, spotting LISTEN
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if bytes.Contains(buf[:n], []byte("LISTEN")) {
							listener.Store(true)
						}
						s.Write(buf[:n])
					}
					if err != nil {
						s.Close()
						return
					}
				}
			}()
			go func() { // server → client, held while frozen
				buf := make([]byte, 32<<10)
				for {
					n, err := s.Read(buf)
					for listener.Load() && p.frozen.Load() {
						time.Sleep(5 * time.Millisecond)
					}
					if n > 0 {
						c.Write(buf[:n])
					}
					if err != nil {
						c.Close()
						return
					}
				}
			}()
		}
	}()
	return p
}

// proxyStore opens a store on the same database through the proxy at addr.
func proxyStore(t *testing.T, connString, addr string) *postgres.Store {
	host, port, _ := net.SplitHostPort(addr)
	var s string
	if strings.Contains(connString, "://") {
		u, err := url.Parse(connString)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Del("host")
		q.Del("port")
		u.RawQuery = q.Encode()
		u.Host = net.JoinHostPort(host, port)
		s = u.String()
	} else {
		s = connString + " host=" + host + " port=" + port
	}
	st, err := postgres.Open(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// TestHotMarkersOfAnotherNode: every node's markers go to every node. Were a node to
// count another's markers as its own, a node that writes more would raise the others'
// "heard" above their own writes, and their writers would no longer read their own
// writes. The listener of node 1 is held quiet here only to make the usual
// millisecond window deterministic.
func TestHotMarkersOfAnotherNode(t *testing.T) {
	ctx := context.Background()
	w := buildWorld(t)
	proxy := newFreezeProxy(t, w.store.ConnString())
	node1 := cachedTwin(t, &world{store: proxyStore(t, w.store.ConnString(), proxy.addr)})
	node2 := cachedTwin(t, w)
	t.Cleanup(func() { proxy.frozen.Store(false) })
	x, groupPosts := groupReader(t, w)
	settle(t, node1)
	if groupPosts(node1) == 0 {
		t.Fatal("x sees no group post to begin with")
	}
	for i := 0; i < 100; i++ { // node 2 is busier: its write count passes node 1's
		if _, err := node2.Pool().Exec(ctx, `DELETE FROM follows WHERE false`); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, node2)
	time.Sleep(300 * time.Millisecond) // node 1 hears node 2's marker too
	proxy.frozen.Store(true)
	// x leaves the group through node 1, then reads home on node 1: read-your-writes
	// says this must not come from a model that has not heard the leave.
	if err := node1.RemoveMembership(ctx, w.group, x.ID); err != nil {
		t.Fatal(err)
	}
	if node1.CacheSettled() {
		t.Errorf("node 1 counts its own unheard write as heard")
	}
	if got, want := groupPosts(node1), groupPosts(w.store); got != want {
		t.Errorf("right after leaving, on the node that made the change: %d group posts from memory, %d from SQL", got, want)
	}
}

// groupReader returns the world's member of the secret group who follows author1, and
// a count of the group posts on their home stream as a store reads it.
func groupReader(t *testing.T, w *world) (ruche.User, func(*postgres.Store) int) {
	t.Helper()
	var x ruche.User
	for _, v := range w.viewers {
		if v.Username == "v_member_true" {
			x = v
		}
	}
	return x, func(s *postgres.Store) int {
		t.Helper()
		posts, err := s.Timeline(context.Background(), ruche.ViewerOf(x), ruche.Stream{Kind: ruche.StreamHome}, ruche.Page{Limit: 40})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range posts {
			if p.Visibility == ruche.VisGroup {
				n++
			}
		}
		return n
	}
}
