package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// hot is each node's read model of the requests apps make all the time: a bearer token's
// grant, a reader's home stream (the ids the gate let through when it was read) with the
// facts the visibility rule needs about that reader, and the posts on those streams. A
// warm home page costs no query at all, which is what lets one small machine answer
// thousands of them a second.
//
// The database says when any of it changes: triggers (migration 011) announce every
// change on the channel ruche_cache at commit, whoever made it, and the listener
// forgets what the change touched. What it does not hold, or holds no longer, is read
// from SQL as before; anything it cannot answer exactly (a guest reader, a page beyond
// the cached window, a post naming someone not every member may know) goes to SQL too.
//
// Three rules keep it honest:
//   - It serves nothing unless it is listening: while the connection is down, and after
//     it comes back (when everything is forgotten), reads go to SQL.
//   - A read that raced a change is not kept: every change bumps epoch, and a fill keeps
//     its result only if epoch did not move while it read.
//   - A reader sees their own writes: a write on this node bypasses the cache until the
//     listener has heard a marker of this node's sent after it (see wrote), which
//     PostgreSQL delivers after the write's own announcements, since notifications
//     arrive in commit order.
//   - A listener that hears nothing, not even the heartbeat marker each node sends every
//     second, for three seconds stops serving and reconnects: a silent connection must
//     not keep old facts alive. So a change made on another node is heard within
//     that bound, normally within milliseconds.
//
// Every post served is checked again with ruche.CanSee on fresh facts: the rule itself,
// not a copy of it.
type hot struct {
	mu      sync.RWMutex
	live    bool
	epoch   uint64
	tokens  map[string]hotToken
	viewers map[int64]*hotViewer
	posts   map[int64]*hotPost

	// Local writes: written counts this node's writes, heard the last marker the
	// listener saw; the cache is bypassed while heard < written.
	written atomic.Uint64
	heard   atomic.Uint64
	poke    chan struct{}

	// node tells this node's markers from other nodes'; lastHeard (unix ns) is when the
	// listener last heard anything. Markers go out every heartbeat, so a listener that
	// hears nothing for hotSilence has lost the database, even if its socket looks open.
	node      string
	lastHeard atomic.Int64

	stats [hotOutcomes]atomic.Int64
}

// Why a home page came from memory or not, counted for the benchmark's report.
const (
	hotServed   = iota // from memory
	hotBypassed        // not listening, or a local write not yet heard
	hotGuest           // guests read from SQL
	hotOutside         // beyond the cached window
	hotPartial         // names someone not every member may know
	hotOutcomes
)

// CacheStats says how many home pages were served from memory and why the others were
// not: served, bypassed (not listening or a write not yet heard), guest, outside the
// window, naming someone not every member may know.
func (s *Store) CacheStats() [hotOutcomes]int64 {
	var out [hotOutcomes]int64
	for i := range out {
		out[i] = s.hot.stats[i].Load()
	}
	return out
}

const (
	cacheChannel  = "ruche_cache"
	hotTokenTTL   = 5 * time.Minute // a grant read this long ago is read again
	hotHeartbeat  = time.Second
	hotSilence    = 3 * time.Second
	hotMaxTokens  = 100_000
	hotMaxViewers = 50_000
	hotMaxPosts   = 200_000
)

type hotToken struct {
	grant ruche.Grant
	at    time.Time
}

func newHot() *hot {
	node := make([]byte, 8)
	rand.Read(node)
	return &hot{poke: make(chan struct{}, 1), tokens: map[string]hotToken{}, node: hex.EncodeToString(node),
		viewers: map[int64]*hotViewer{}, posts: map[int64]*hotPost{}}
}

// usable reports whether reads may come from memory now, and the epoch to fill against.
func (h *hot) usable() (uint64, bool) {
	if h == nil || h.heard.Load() < h.written.Load() || time.Since(time.Unix(0, h.lastHeard.Load())) > hotSilence {
		return 0, false
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.epoch, h.live
}

// keep runs store under the write lock if nothing changed since epoch e was read.
func (h *hot) keep(e uint64, store func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.live && h.epoch == e {
		store()
	}
}

// forgetAll empties the model; the caller holds the write lock.
func (h *hot) forgetAll() {
	h.epoch++
	h.tokens = map[string]hotToken{}
	h.viewers = map[int64]*hotViewer{}
	h.posts = map[int64]*hotPost{}
}

func (h *hot) setLive(live bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forgetAll()
	h.live = live
}

// trim drops about a tenth of a map that grew past max (map order is random enough).
func trim[K comparable, V any](m map[K]V, max int) {
	if len(m) < max {
		return
	}
	n := max / 10
	for k := range m {
		delete(m, k)
		if n--; n <= 0 {
			return
		}
	}
}

// token returns a remembered grant.
func (h *hot) token(hash []byte) (ruche.Grant, bool) {
	if _, ok := h.usable(); !ok {
		return ruche.Grant{}, false
	}
	h.mu.RLock()
	t, ok := h.tokens[string(hash)]
	h.mu.RUnlock()
	if !ok || time.Since(t.at) > hotTokenTTL {
		return ruche.Grant{}, false
	}
	return t.grant, true
}

func (h *hot) keepToken(e uint64, hash []byte, g ruche.Grant) {
	h.keep(e, func() {
		trim(h.tokens, hotMaxTokens)
		h.tokens[string(hash)] = hotToken{grant: g, at: time.Now()}
	})
}

// changed applies one announcement from the database.
func (h *hot) changed(payload string) {
	h.lastHeard.Store(time.Now().UnixNano())
	kind, rest, _ := strings.Cut(payload, ":")
	if kind == "sync" { // a marker: this node's own tells which of its writes are heard
		node, count, _ := strings.Cut(rest, ":")
		n, err := strconv.ParseUint(count, 10, 64)
		for node == h.node && err == nil {
			heard := h.heard.Load()
			if n <= heard || h.heard.CompareAndSwap(heard, n) {
				return
			}
		}
		return
	}
	ids := parseIDs(rest)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.epoch++
	switch {
	case kind == "t":
		h.tokens = map[string]hotToken{}
	case kind == "a" && len(ids) == 1:
		// An account's name or presence changed, or, for a group, its shares (migration
		// 018): the posts showing it are read again.
		for k, t := range h.tokens {
			if t.grant.User != nil && t.grant.User.ID == ids[0] {
				delete(h.tokens, k)
			}
		}
		for id, p := range h.posts {
			if p.post.Author.ID == ids[0] || (p.post.Group != nil && p.post.Group.ID == ids[0]) {
				delete(h.posts, id)
			}
		}
	case kind == "v" && len(ids) == 1:
		delete(h.viewers, ids[0])
	case kind == "p" && len(ids) == 1:
		delete(h.posts, ids[0])
	case kind == "m" && len(ids) == 2:
		delete(h.posts, ids[0])
		delete(h.viewers, ids[1])
	case (kind == "n" || kind == "u" || kind == "d") && len(ids) == 3:
		// The streams this post is (or was, or may now be) on: its author's, their
		// followers' and its group's members'. Those it mentions hear 'm'.
		delete(h.posts, ids[0])
		author, group := ids[1], ids[2]
		for id, v := range h.viewers {
			if id == author || v.follows[author] || (group != 0 && v.groups[group]) {
				delete(h.viewers, id)
			}
		}
	default: // '*' and anything not understood: forget everything rather than guess
		h.forgetAll()
	}
}

func parseIDs(s string) []int64 {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ":")
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

// wrote records a write committed on this node (called by the pool's tracer) and asks
// the marker goroutine to send a marker after it.
func (h *hot) wrote() {
	h.written.Add(1)
	select {
	case h.poke <- struct{}{}:
	default:
	}
}

// RunCache keeps the node's read model (see hot) in step with the database until ctx
// ends: it listens for announcements on its own connection, reconnecting after a
// failure, and sends the markers that let a writer read its own writes. Without it the
// store reads everything from SQL.
func (s *Store) RunCache(ctx context.Context, onError func(error)) {
	h := s.hot
	go func() { // markers: one for all the writes made since the last one, and a heartbeat
		beat := time.NewTicker(hotHeartbeat)
		defer beat.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-h.poke:
			case <-beat.C:
			}
			n := h.written.Load()
			if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, 'sync:' || $2 || ':' || $3::bigint)`, cacheChannel, h.node, int64(n)); err != nil {
				if ctx.Err() != nil {
					return
				}
				onError(err) // the cache stays bypassed (heard < written) until a marker goes
				time.Sleep(time.Second)
				select {
				case h.poke <- struct{}{}:
				default:
				}
			}
		}
	}()
	for {
		err := s.listenCache(ctx)
		h.setLive(false)
		if ctx.Err() != nil {
			return
		}
		onError(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenCache(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	raw := conn.Hijack()
	defer raw.Close(context.WithoutCancel(ctx))
	if _, err := raw.Exec(ctx, "LISTEN "+pgx.Identifier{cacheChannel}.Sanitize()); err != nil {
		return err
	}
	// Whatever changed while nobody listened is unknown: start from nothing, and count
	// every write made so far as heard (they committed before LISTEN returned).
	s.hot.heard.Store(s.hot.written.Load())
	s.hot.lastHeard.Store(time.Now().UnixNano())
	s.hot.setLive(true)
	for {
		wait, cancel := context.WithTimeout(ctx, 2*hotSilence)
		n, err := raw.WaitForNotification(wait)
		cancel()
		if err != nil {
			if ctx.Err() == nil && wait.Err() != nil {
				return fmt.Errorf("read cache: nothing heard for %s, not even a heartbeat", 2*hotSilence)
			}
			return err
		}
		s.hot.changed(n.Payload)
	}
}
