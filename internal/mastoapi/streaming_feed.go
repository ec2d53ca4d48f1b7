package mastoapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/ruche-hive/ruche/internal/richtext"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// A feed is what one streaming connection follows: its subscriptions, each with how
// far it has read. The hub only says that something changed; the feed then asks the
// domain what is new through the same gated queries as the timelines, as the viewer,
// so a stream can never carry what its member could not read with a GET.

const (
	// maxSubscriptions bounds the streams one connection follows. Each is read on
	// every wake-up; an app follows a handful (home, notifications, a few lists or
	// hashtags), so this leaves room without letting one connection multiply reads.
	maxSubscriptions = 16
	// maxShown bounds the posts a subscription remembers having sent, to announce
	// their edits and deletions: older ones go unannounced.
	maxShown = 500
	// streamBatch is how many posts one query reads while catching up.
	streamBatch = 40
)

// event is one message of the streaming API: the stream it belongs to, the event's
// name and its payload (JSON as a string, or a bare id for delete), as Mastodon frames
// it on a WebSocket. Server-sent events carry the name and the payload alone.
type event struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
}

// shown is what a subscription remembers of a post it sent.
type shown struct {
	original int64     // a boost's boosted post; 0 for a post
	edited   time.Time // when the text it sent was last edited; zero if never
}

// subscription is one stream a connection follows.
type subscription struct {
	key   string   // identity, for unsubscribe and duplicates: kind, then tag or list
	name  []string // the stream as events name it: ["user"], ["hashtag", "Lunch"], ["list", "12"]
	posts *ruche.Stream
	// onlyMedia keeps the posts with attachments (public:media).
	onlyMedia bool
	// notifications: the member's notifications; conversations: their direct posts,
	// as Mastodon's conversation events.
	notifications, conversations bool

	after      int64 // posts: the newest post read
	noteFloor  int64 // notifications: at or below it, none is new
	notesSent  map[int64]bool
	convFloor  int64           // conversations: last posts at or below it are not new
	convSent   map[int64]int64 // conversation id → the last post sent for it
	shown      map[int64]shown
	byOriginal map[int64][]int64 // boosts sent, by the post they boost
	order      []int64           // shown, oldest first
}

// feed is the state of one streaming connection.
type feed struct {
	a    *API
	u    ruche.User
	sc   ruche.Scopes // nil: a request without a token, which may do what the member may
	subs []*subscription
}

func (f *feed) allows(scope string) bool { return f.sc == nil || f.sc.Allows(scope) }

// parseSubscription reads a stream name as Mastodon's clients send it, with its tag
// (hashtag streams) or list id (list), into a subscription not yet started.
func (f *feed) parseSubscription(ctx context.Context, stream, tag, list string) (*subscription, error) {
	s := &subscription{key: stream, name: []string{stream}}
	switch stream {
	case "user":
		s.posts = &ruche.Stream{Kind: ruche.StreamHome}
		// Mastodon's user stream needs read:statuses or read:notifications; here the
		// connection has read:statuses, and notifications come with read:notifications.
		s.notifications = f.allows("read:notifications")
	case "user:notification":
		if !f.allows("read:notifications") {
			return nil, ruche.Errorf(ruche.CodeForbidden, "error.api_scope")
		}
		s.notifications = true
	case "public", "public:local":
		// Everyone here is local: the public stream is the company stream.
		s.posts = &ruche.Stream{Kind: ruche.StreamCompany}
	case "public:media", "public:local:media":
		s.posts, s.onlyMedia = &ruche.Stream{Kind: ruche.StreamCompany}, true
	case "public:remote", "public:remote:media":
		// Nothing comes from other instances: these stay silent, rather than refused,
		// so apps that open them work.
	case "hashtag", "hashtag:local":
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "#")
		if tag == "" {
			return nil, ruche.Errorf(ruche.CodeInvalid, "error.stream_tag_missing")
		}
		// Normalized as the timeline does it, so that the same tag spelt two ways is
		// one subscription, and one read (see round).
		norm := richtext.NormalizeTag(tag)
		s.key, s.name = stream+"\x00"+norm, []string{stream, tag}
		s.posts = &ruche.Stream{Kind: ruche.StreamTag, Tag: norm}
	case "list":
		if strings.TrimSpace(list) == "" {
			return nil, ruche.Errorf(ruche.CodeInvalid, "error.stream_list_missing")
		}
		lid, err := id(strings.TrimSpace(list))
		if err != nil {
			return nil, err
		}
		// Someone else's list is not found, as for its timeline.
		if _, err := f.a.Posts.List(ctx, f.u, lid); err != nil {
			return nil, err
		}
		s.key, s.name = stream+"\x00"+idString(lid), []string{stream, idString(lid)}
		s.posts = &ruche.Stream{Kind: ruche.StreamList, AccountID: lid}
	case "direct":
		s.conversations = true
	default:
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.stream_unknown")
	}
	return s, nil
}

// subscribe starts following a stream: what exists now is not news, what comes after
// is. Subscribing twice to a stream is a no-op.
func (f *feed) subscribe(ctx context.Context, stream, tag, list string) error {
	s, err := f.parseSubscription(ctx, stream, tag, list)
	if err != nil {
		return err
	}
	for _, o := range f.subs {
		if o.key == s.key {
			return nil
		}
	}
	if len(f.subs) >= maxSubscriptions {
		return ruche.Errorf(ruche.CodeInvalid, "error.stream_too_many", maxSubscriptions)
	}
	if err := f.start(ctx, s); err != nil {
		return err
	}
	f.subs = append(f.subs, s)
	return nil
}

// unsubscribe stops following a stream; one not followed is ignored, as in Mastodon.
func (f *feed) unsubscribe(ctx context.Context, stream, tag, list string) error {
	s, err := f.parseSubscription(ctx, stream, tag, list)
	if err != nil {
		var e *ruche.Error
		if errors.As(err, &e) && e.Code == ruche.CodeNotFound {
			return nil // a list deleted since: there is nothing to stop
		}
		return err
	}
	for i, o := range f.subs {
		if o.key == s.key {
			f.subs = append(f.subs[:i], f.subs[i+1:]...)
			break
		}
	}
	return nil
}

// start marks where s begins: the newest post, notification and conversation the
// member can read now.
func (f *feed) start(ctx context.Context, s *subscription) error {
	s.shown, s.byOriginal = map[int64]shown{}, map[int64][]int64{}
	if s.posts != nil {
		newest, err := f.a.Posts.Timeline(ruche.FreshReads(ctx), f.u, *s.posts, ruche.Page{Limit: 1})
		if err != nil {
			return err
		}
		if len(newest) > 0 {
			s.after = newest[0].ID
		}
	}
	if s.notifications {
		s.notesSent = map[int64]bool{}
		ns, err := f.a.Posts.NotificationsFiltered(ctx, f.u, ruche.Page{Limit: 1}, streamedNotifications())
		if err != nil {
			return err
		}
		if len(ns) > 0 {
			s.noteFloor = ns[0].ID
		}
	}
	if s.conversations {
		s.convSent = map[int64]int64{}
		cs, err := f.a.Posts.Conversations(ctx, f.u, ruche.Page{Limit: 1})
		if err != nil {
			return err
		}
		if len(cs) > 0 {
			s.convFloor = cs[0].LastPost.ID
		}
	}
	return nil
}

// streamedNotifications is the notifications list's filter without parameters: the
// kinds the client API does not show are left out, so that a window of the newest is
// made of notifications it sends.
func streamedNotifications() ruche.NotificationFilter {
	f, _, _ := notificationFilter(params{}) // no parameters: no error, and never "none"
	return f
}

// payload is v as JSON in a string, as events carry it.
func payload(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types always marshal
	}
	return string(b)
}

// round shares one wake-up's reads among a connection's subscriptions: those that
// follow the same posts (public and public:local; a hashtag and its :local twin) from
// the same point read them once, and a changed post is read once, however many
// subscriptions showed it. A round lasts one wake-up, so nothing read is reused later.
type round struct {
	pages map[pageKey][]ruche.Post
	posts map[int64]postRead
}

// pageKey is one read of a stream: the posts above after.
type pageKey struct {
	stream ruche.Stream
	after  int64
}

// postRead is one post as the member may read it now, or not found.
type postRead struct {
	post ruche.Post
	err  error
}

func newRound() *round {
	return &round{pages: map[pageKey][]ruche.Post{}, posts: map[int64]postRead{}}
}

// page returns the batch of st's posts above after, newest first, read once a round.
// Subscriptions only read the posts it returns.
func (f *feed) page(ctx context.Context, r *round, st ruche.Stream, after int64) ([]ruche.Post, error) {
	k := pageKey{st, after}
	if posts, ok := r.pages[k]; ok {
		return posts, nil
	}
	posts, err := f.a.Posts.Timeline(ruche.FreshReads(ctx), f.u, st, ruche.Page{MinID: after, Limit: streamBatch})
	if err != nil {
		return nil, err
	}
	r.pages[k] = posts
	return posts, nil
}

// post returns post id as the member may read it now, read once a round.
func (f *feed) post(ctx context.Context, r *round, id int64) (ruche.Post, error) {
	if p, ok := r.posts[id]; ok {
		return p.post, p.err
	}
	p, err := f.a.Posts.Post(ctx, f.u, id)
	if err == nil || isNotFound(err) {
		r.posts[id] = postRead{p, err}
	}
	return p, err
}

// posts returns the events of what changed among posts: new posts on each stream,
// new direct posts, and, for the posts in changed a subscription already sent, their
// edits and deletions.
func (f *feed) posts(ctx context.Context, changed []int64) ([]event, error) {
	var out []event
	r := newRound()
	for _, s := range f.subs {
		if s.posts != nil {
			evs, err := f.newPosts(ctx, r, s)
			if err != nil {
				return nil, err
			}
			out = append(out, evs...)
		}
		if s.conversations {
			evs, err := f.newConversations(ctx, s)
			if err != nil {
				return nil, err
			}
			out = append(out, evs...)
		}
		evs, err := f.changedPosts(ctx, r, s, changed)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// newPosts reads s's stream above the last post read, oldest first. The timeline's
// commit horizon holds back posts whose transactions may still be open, so none is
// skipped for having committed after a newer one.
func (f *feed) newPosts(ctx context.Context, r *round, s *subscription) ([]event, error) {
	var out []event
	for {
		posts, err := f.page(ctx, r, *s.posts, s.after)
		if err != nil {
			return nil, err
		}
		for i := len(posts) - 1; i >= 0; i-- { // newest first: send the oldest first
			p := posts[i]
			s.after = max(s.after, p.ID)
			if s.onlyMedia && !hasMedia(p) {
				continue
			}
			out = append(out, event{Stream: s.name, Event: "update", Payload: payload(f.a.status(p))})
			s.remember(p)
		}
		if len(posts) < streamBatch {
			return out, nil
		}
	}
}

// remember notes that s sent p, forgetting the oldest beyond maxShown.
func (s *subscription) remember(p ruche.Post) {
	if _, ok := s.shown[p.ID]; ok {
		return
	}
	var sh shown
	text := p
	if p.Reblog != nil {
		sh.original = p.Reblog.ID
		s.byOriginal[sh.original] = append(s.byOriginal[sh.original], p.ID)
		text = *p.Reblog
	}
	if text.EditedAt != nil {
		sh.edited = *text.EditedAt
	}
	s.shown[p.ID] = sh
	s.order = append(s.order, p.ID)
	for len(s.order) > maxShown {
		s.forget(s.order[0])
	}
}

// forget drops a sent post from s's memory.
func (s *subscription) forget(id int64) {
	sh, ok := s.shown[id]
	if !ok {
		return
	}
	delete(s.shown, id)
	if i := indexOf(s.order, id); i >= 0 {
		s.order = append(s.order[:i], s.order[i+1:]...)
	}
	if sh.original != 0 {
		boosts := s.byOriginal[sh.original]
		if i := indexOf(boosts, id); i >= 0 {
			boosts = append(boosts[:i], boosts[i+1:]...)
		}
		if len(boosts) == 0 {
			delete(s.byOriginal, sh.original)
		} else {
			s.byOriginal[sh.original] = boosts
		}
	}
}

func indexOf(ids []int64, id int64) int {
	for i, v := range ids {
		if v == id {
			return i
		}
	}
	return -1
}

// changedPosts announces what became of the posts s sent among changed: a delete
// when the member can no longer read it (deleted, or out of their sight now), a
// status.update when its text was edited. Ids s never sent are ignored, so a stream
// never names a post its member did not see.
func (f *feed) changedPosts(ctx context.Context, r *round, s *subscription, changed []int64) ([]event, error) {
	var out []event
	for _, c := range changed {
		var ids []int64
		if _, ok := s.shown[c]; ok {
			ids = append(ids, c)
		}
		ids = append(ids, s.byOriginal[c]...) // boosts of it: deleted with it
		for _, sid := range ids {
			p, err := f.post(ctx, r, sid)
			if isNotFound(err) {
				s.forget(sid)
				out = append(out, event{Stream: s.name, Event: "delete", Payload: idString(sid)})
				continue
			}
			if err != nil {
				return nil, err
			}
			text := p
			if p.Reblog != nil {
				text = *p.Reblog
			}
			if text.EditedAt == nil || !text.EditedAt.After(s.shown[sid].edited) {
				continue
			}
			sh := s.shown[sid]
			sh.edited = *text.EditedAt
			s.shown[sid] = sh
			out = append(out, event{Stream: s.name, Event: "status.update", Payload: payload(f.a.status(p))})
		}
	}
	return out, nil
}

func isNotFound(err error) bool {
	var e *ruche.Error
	return errors.As(err, &e) && e.Code == ruche.CodeNotFound
}

// newConversations sends, for each conversation whose last post is new, the
// conversation as it stands. Conversations are read newest activity first, so a
// conversation written in again comes back to the top and is sent again.
func (f *feed) newConversations(ctx context.Context, s *subscription) ([]event, error) {
	cs, err := f.a.Posts.Conversations(ctx, f.u, ruche.Page{Limit: streamBatch})
	if err != nil {
		return nil, err
	}
	var out []event
	for i := len(cs) - 1; i >= 0; i-- {
		c := cs[i]
		if c.LastPost.ID <= s.convFloor || s.convSent[c.ID] >= c.LastPost.ID {
			continue
		}
		s.convSent[c.ID] = c.LastPost.ID
		out = append(out, event{Stream: s.name, Event: "conversation", Payload: payload(f.a.conversation(c))})
	}
	// Below a full window nothing is new; forget what was sent below it.
	if len(cs) == streamBatch {
		s.convFloor = max(s.convFloor, cs[len(cs)-1].LastPost.ID)
		for id, last := range s.convSent {
			if last <= s.convFloor {
				delete(s.convSent, id)
			}
		}
	}
	return out, nil
}

// notifications returns the member's new notifications on every subscription that
// carries them. It reads the newest ones rather than those above the last sent, so a
// notification that commits after a newer one still goes out; more than a window's
// worth between two wake-ups would go unsent (apps fetch them on their next refresh).
func (f *feed) notifications(ctx context.Context) ([]event, error) {
	var out []event
	var window []ruche.Notification
	read := false
	for _, s := range f.subs {
		if !s.notifications {
			continue
		}
		if !read {
			ns, err := f.a.Posts.NotificationsFiltered(ctx, f.u, ruche.Page{Limit: streamBatch}, streamedNotifications())
			if err != nil {
				return nil, err
			}
			window, read = ns, true
		}
		for i := len(window) - 1; i >= 0; i-- { // newest first: send the oldest first
			n := window[i]
			if n.ID <= s.noteFloor || s.notesSent[n.ID] {
				continue
			}
			s.notesSent[n.ID] = true
			if v, ok := f.a.notification(n); ok {
				out = append(out, event{Stream: s.name, Event: "notification", Payload: payload(v)})
			}
		}
		// Everything below a full window is old news; forget what was sent below it.
		if len(window) == streamBatch {
			s.noteFloor = max(s.noteFloor, window[len(window)-1].ID)
			for id := range s.notesSent {
				if id <= s.noteFloor {
					delete(s.notesSent, id)
				}
			}
		}
	}
	return out, nil
}
