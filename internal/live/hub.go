// Package live fans out "something changed" signals to the live streams open on this
// node. Signals carry no content: each stream, when woken, asks for what is new through
// the visibility gate, so nothing here can show anyone a post they may not see, and a
// dropped signal only delays an update until the next one.
//
// The hub also counts each member's open streaming connections (Admit): every one
// re-reads its streams whenever any post changes, so the number one token may hold
// open is what bounds the database work one member can cause.
package live

import "sync"

// MaxConnections is how many streaming connections one member may hold open at once
// on one node. An app needs one (a WebSocket carries all its streams) or a few
// (server-sent events, one stream each), and a member has a few devices; more is a
// client gone wrong, or someone trying to load the database.
const MaxConnections = 8

// Hub is the set of open live streams of one node.
type Hub struct {
	mu     sync.Mutex
	subs   map[*Sub]struct{}
	closed bool
	// conns counts the streaming connections each account holds (Admit), up to
	// maxConns; accounts holding none are not in it.
	conns    map[int64]int
	maxConns int
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[*Sub]struct{}{}, conns: map[int64]int{}, maxConns: MaxConnections}
}

// Admit takes one of account's MaxConnections streaming connection slots on this
// node, before the connection does any work. It returns false when all are taken;
// otherwise the function that gives the slot back when the connection ends (calling
// it again does nothing).
func (h *Hub) Admit(account int64) (release func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns[account] >= h.maxConns {
		return nil, false
	}
	h.conns[account]++
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.conns[account]--; h.conns[account] <= 0 {
				delete(h.conns, account)
			}
		})
	}, true
}

// Sub is one open live stream, for one member.
type Sub struct {
	account int64
	posts   chan struct{} // a post changed somewhere
	unread  chan struct{} // the member's notifications changed
	done    chan struct{} // the hub is closing
	// changed collects the ids of the posts signalled since the last Changed, for
	// streams opened with SubscribeChanges (nil for others). Guarded by the hub's mutex.
	changed map[int64]struct{}
	hub     *Hub
}

// maxChanged bounds the ids a stream collects between two calls of Changed: beyond
// it, ids are dropped, which only means an edit or deletion goes unannounced.
const maxChanged = 1024

// Posts is signalled when a post may have been added or changed.
func (s *Sub) Posts() <-chan struct{} { return s.posts }

// Unread is signalled when the member's notifications changed.
func (s *Sub) Unread() <-chan struct{} { return s.unread }

// Done is closed when the node shuts down: the stream should end.
func (s *Sub) Done() <-chan struct{} { return s.done }

// Changed returns the ids of the posts signalled since the last call (a stream opened
// with SubscribeChanges; nil otherwise). An id says only that the post was written,
// edited or deleted: the stream reads what became of it through the visibility gate,
// and only for posts it already showed. Ids may be missing (too many at once, or
// signals missed while the node was not listening).
func (s *Sub) Changed() []int64 {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	if len(s.changed) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(s.changed))
	for id := range s.changed {
		ids = append(ids, id)
	}
	clear(s.changed)
	return ids
}

// Subscribe opens a live stream for account. Call Unsubscribe when it ends.
func (h *Hub) Subscribe(account int64) *Sub { return h.subscribe(account, false) }

// SubscribeChanges opens a live stream for account that also collects which posts
// changed (see Sub.Changed), for streams that announce edits and deletions of what
// they showed. Call Unsubscribe when it ends.
func (h *Hub) SubscribeChanges(account int64) *Sub { return h.subscribe(account, true) }

func (h *Hub) subscribe(account int64, changes bool) *Sub {
	s := &Sub{account: account, posts: make(chan struct{}, 1), unread: make(chan struct{}, 1), done: make(chan struct{}), hub: h}
	if changes {
		s.changed = map[int64]struct{}{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.done)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

// Unsubscribe closes s.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}

// signal wakes c without blocking: one pending wake-up is as good as many.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// PostChanged wakes every stream: post id was written, edited or deleted.
func (h *Hub) PostChanged(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.changed != nil && len(s.changed) < maxChanged {
			s.changed[id] = struct{}{}
		}
		signal(s.posts)
	}
}

// NotificationFor wakes the streams of account.
func (h *Hub) NotificationFor(account int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.account == account {
			signal(s.unread)
		}
	}
}

// CatchUp wakes every stream for both posts and notifications, after the hub may
// have missed signals (a reconnect).
func (h *Hub) CatchUp() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		signal(s.posts)
		signal(s.unread)
	}
}

// Close ends every stream; later subscriptions end at once.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for s := range h.subs {
		close(s.done)
	}
}
