package mastoapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/ruche-hive/ruche/internal/authn"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/live"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// The streaming API: Mastodon's live updates, over a WebSocket (/api/v1/streaming,
// several streams on one connection) or as server-sent events (one stream per
// request). Both are fed by the node's live hub, which carries no content: when it
// says a post or a notification changed, the connection re-reads its streams through
// the visibility gate as its member (see feed). Because the hub is fed by PostgreSQL's
// LISTEN/NOTIFY, a post written on any node reaches streams open on every node.
//
// A streaming connection outlives the request that authenticated it, so it re-reads
// its token: before each batch of events it is about to write, and at least every
// tokenRecheck when idle. A revoked token (or a suspended member) gets nothing more and
// its connection ends, at the latest tokenRecheck (plus a catch-up tick) after.
//
// Every post change wakes every connection, which then reads each of its streams, so
// what one member may open is bounded: live.MaxConnections connections at once on a
// node (the next is refused with 429 before any work), maxSubscriptions streams on
// one, each read once a wake-up however many times it was subscribed to, and a
// WebSocket client's messages, which start streams, are throttled (see throttle).

const (
	// settle lets a burst of changes arrive before reading: one query for many posts.
	settle = 250 * time.Millisecond
	// catchUp re-reads the streams even without a signal: posts held back by the
	// commit horizon arrive, and a signal missed while the node was not listening is
	// only a delay, at most this long (the full test suite under load showed such
	// misses; a wake-up is a hint, this is the promise). It is also the heartbeat of
	// server-sent events.
	catchUp = 5 * time.Second
	// keepAlive is how often a WebSocket is pinged, so that proxies keep it open and a
	// peer that vanished is noticed.
	keepAlive = 30 * time.Second
	// tokenRecheck is the longest an idle connection goes without re-reading its token.
	tokenRecheck = time.Minute
	// writeTimeout bounds writing one batch of events to a slow client.
	writeTimeout = 10 * time.Second

	// A WebSocket client's messages go through a token bucket: messageBurst at once,
	// then one every messageEvery. An app subscribes to a few streams when it
	// connects and changes one now and then; each subscription costs reads. A message
	// beyond that is answered with an error and ignored.
	messageBurst = 10
	messageEvery = time.Second
	// maxStrikes: a client whose ignored messages outnumber the ones carried out
	// since by maxStrikes keeps sending regardless, and is disconnected (1008).
	maxStrikes = 10
)

var (
	errTokenGone  = errors.New("streaming: the token was revoked")
	errShutdown   = errors.New("streaming: the node is shutting down")
	errClientGone = errors.New("streaming: the client is gone")
	// errFlood: the client kept sending messages faster than it was told it may.
	errFlood = errors.New("streaming: the client sends too many messages")
	// tooFast refuses one message over the limit; the connection stays.
	tooFast = ruche.Errorf(ruche.CodeRateLimited, "error.stream_rate_limited")
	// errRoleChanged: the member's role changed (a member became a guest), so what
	// the connection read with the old one may not be sent; the app reconnects.
	errRoleChanged = errors.New("streaming: the member's role changed")
)

// gone marks a failure to write to the client: it left, or reads too slowly. That is
// how connections end, not a fault of the server.
func gone(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", errClientGone, err)
}

// ended reports whether err is an ordinary end of a connection, not worth a warning.
func ended(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, errClientGone) || errors.Is(err, errTokenGone) ||
		errors.Is(err, errShutdown) || errors.Is(err, errRoleChanged) || errors.Is(err, errFlood)
}

// throttle limits a WebSocket client's messages: a token bucket (messageBurst tokens,
// one more every messageEvery), and strikes for the messages it refused.
type throttle struct {
	tokens  float64
	last    time.Time
	strikes int // refused messages, less one for each carried out since
}

func newThrottle(now time.Time) *throttle { return &throttle{tokens: messageBurst, last: now} }

// allow reports whether a message arriving at now may be carried out, and whether
// the client has been refused so often that the connection should end.
func (t *throttle) allow(now time.Time) (ok, flood bool) {
	t.tokens = min(messageBurst, t.tokens+float64(now.Sub(t.last))/float64(messageEvery))
	t.last = now
	if t.tokens < 1 {
		t.strikes++
		return false, t.strikes >= maxStrikes
	}
	t.tokens--
	t.strikes = max(0, t.strikes-1)
	return true, false
}

// admit takes one of the member's streaming connection slots on this node, or
// answers 429 with Mastodon's error body, before the connection does any work.
func (a *API) admit(w http.ResponseWriter, r *http.Request, account int64) (release func(), ok bool) {
	release, ok = a.Hub.Admit(account)
	if !ok {
		a.Error(w, r, http.StatusTooManyRequests, "error.stream_connections_limit", live.MaxConnections)
	}
	return release, ok
}

func (a *API) streamingRoutes() []Route {
	const statuses = "read:statuses"
	events := func(pattern, stream, scope string) Route {
		return Route{Method: "GET", Pattern: pattern, Scope: scope, Handler: a.events(stream)}
	}
	return []Route{
		{Method: "GET", Pattern: "/api/v1/streaming/health", Handler: http.HandlerFunc(streamingHealth),
			PublicReason: "apps check the streaming server is up"},
		// One connection may follow any stream, notifications included, so it cannot
		// ask for the scope of each: it needs read:statuses, and notifications (user,
		// user:notification) also need read:notifications.
		{Method: "GET", Pattern: "/api/v1/streaming", Scope: statuses, Handler: http.HandlerFunc(a.streaming)},
		events("/api/v1/streaming/user", "user", statuses),
		events("/api/v1/streaming/user/notification", "user:notification", "read:notifications"),
		events("/api/v1/streaming/public", "public", statuses),
		events("/api/v1/streaming/public/local", "public:local", statuses),
		events("/api/v1/streaming/public/remote", "public:remote", statuses),
		events("/api/v1/streaming/hashtag", "hashtag", statuses),
		events("/api/v1/streaming/hashtag/local", "hashtag:local", statuses),
		events("/api/v1/streaming/list", "list", statuses),
		events("/api/v1/streaming/direct", "direct", statuses),
	}
}

// streamingHealth answers as Mastodon's streaming server does: apps check it before
// connecting.
func streamingHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("OK"))
}

// newFeed returns the empty feed of the request's member, with its token's scopes.
func (a *API) newFeed(r *http.Request, u ruche.User) *feed {
	f := &feed{a: a, u: u}
	if g, ok := authn.GrantFrom(r.Context()); ok {
		f.sc = g.Scopes
	}
	return f
}

// recheck re-reads the connection's token: errTokenGone if it was revoked or its
// member suspended, errRoleChanged if their role changed since the connection began.
func (a *API) recheck(ctx context.Context, f *feed, token string) error {
	g, err := a.OAuth.Authenticate(ctx, token)
	if errors.Is(err, ruche.ErrNotFound) {
		return errTokenGone
	}
	if err != nil {
		return err
	}
	if g.User == nil || g.User.ID != f.u.ID {
		return errTokenGone
	}
	if g.User.Role != f.u.Role {
		return errRoleChanged
	}
	f.u, f.sc = *g.User, g.Scopes
	return nil
}

// clientMessage is what a WebSocket client sends to change its streams:
// {"type": "subscribe", "stream": "hashtag", "tag": "lunch"}, or "unsubscribe";
// "list" is the list's id (a string, or a number from some clients).
type clientMessage struct {
	Type   string      `json:"type"`
	Stream string      `json:"stream"`
	Tag    string      `json:"tag"`
	List   json.Number `json:"list"`
	bad    bool        // not a message we understand
}

// streamOut is where a connection writes: a WebSocket or server-sent events.
type streamOut interface {
	send(ctx context.Context, evs []event) error
	heartbeat() error
	// problem tells the client its last message was refused (WebSocket only).
	problem(ctx context.Context, err error) error
}

// run serves a connection until it ends: the client leaves (ctx ends), the node shuts
// down (errShutdown), the token is revoked (errTokenGone), or an error.
func (a *API) run(ctx context.Context, f *feed, token string, sub *live.Sub, out streamOut, cmds <-chan clientMessage) error {
	tick := time.NewTicker(catchUp)
	defer tick.Stop()
	checked := time.Now()
	limit := newThrottle(checked)
	for {
		var evs []event
		var err error
		heartbeat := false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-sub.Done():
			return errShutdown
		case <-sub.Posts():
			select {
			case <-time.After(settle):
			case <-ctx.Done():
				return ctx.Err()
			}
			evs, err = f.posts(ctx, sub.Changed())
		case <-sub.Unread():
			evs, err = f.notifications(ctx)
		case <-tick.C:
			heartbeat = true
			if evs, err = f.posts(ctx, sub.Changed()); err == nil {
				var more []event
				more, err = f.notifications(ctx)
				evs = append(evs, more...)
			}
		case m := <-cmds:
			if ok, flood := limit.allow(time.Now()); flood {
				return errFlood
			} else if !ok {
				err = gone(out.problem(ctx, tooFast))
				break
			}
			err = f.apply(ctx, m)
			if refused(err) {
				err = gone(out.problem(ctx, err))
			}
		}
		if err != nil {
			return err
		}
		// Nothing leaves without the token being valid now.
		if len(evs) > 0 || time.Since(checked) >= tokenRecheck {
			if err := a.recheck(ctx, f, token); err != nil {
				return err
			}
			checked = time.Now()
		}
		if len(evs) > 0 {
			if err := out.send(ctx, evs); err != nil {
				return gone(err)
			}
		}
		if heartbeat {
			if err := out.heartbeat(); err != nil {
				return gone(err)
			}
		}
	}
}

// refused reports whether err is a refusal to tell the client (a stream that does
// not exist or is not theirs), rather than a failure that ends the connection.
func refused(err error) bool {
	var e *ruche.Error
	return errors.As(err, &e) && e.Code != ruche.CodeInternal
}

// apply carries out a client's message.
func (f *feed) apply(ctx context.Context, m clientMessage) error {
	switch {
	case m.bad:
		return ruche.Errorf(ruche.CodeInvalid, "error.stream_message_invalid")
	case m.Type == "subscribe":
		return f.subscribe(ctx, m.Stream, m.Tag, m.List.String())
	case m.Type == "unsubscribe":
		return f.unsubscribe(ctx, m.Stream, m.Tag, m.List.String())
	}
	return ruche.Errorf(ruche.CodeInvalid, "error.stream_message_invalid")
}

// isWebSocket reports whether r asks to upgrade to a WebSocket.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// streaming serves /api/v1/streaming: a WebSocket following the streams named by
// stream= and then by the client's messages. A request that does not upgrade gets the
// stream= stream as server-sent events.
func (a *API) streaming(w http.ResponseWriter, r *http.Request) {
	u, ok := authn.UserFrom(r.Context())
	if !ok {
		a.Error(w, r, http.StatusUnauthorized, "error.api_unauthorized")
		return
	}
	release, ok := a.admit(w, r, u.ID)
	if !ok {
		return
	}
	defer release()
	q := r.URL.Query()
	if !isWebSocket(r) {
		a.serveEvents(w, r, *u, q.Get("stream"))
		return
	}
	f := a.newFeed(r, *u)
	sub := a.Hub.SubscribeChanges(u.ID) // before reading where streams start: no signal is missed
	defer a.Hub.Unsubscribe(sub)
	if stream := q.Get("stream"); stream != "" {
		if err := f.subscribe(r.Context(), stream, q.Get("tag"), q.Get("list")); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	token := authn.BearerToken(r)
	opts := &websocket.AcceptOptions{
		// Browser apps (Elk, Phanpy) connect from their own origin, which the socket
		// must accept. That is safe because it authenticates with a token the app
		// sends, never with the session cookie: another site's page can open a
		// socket, but not as the person visiting it.
		OriginPatterns: []string{"*"},
	}
	if proto := strings.TrimSpace(r.Header.Get("Sec-WebSocket-Protocol")); proto != "" && proto == token {
		// The token came as the subprotocol (browsers cannot set headers on a
		// WebSocket): echo it, as Mastodon does, or the browser drops the connection.
		opts.Subprotocols = []string{token}
	}
	p := i18n.FromContext(r.Context(), a.Catalog)
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		return // Accept has answered
	}
	// The request's context is not cancelled when a hijacked connection closes: the
	// reader below cancels ctx when the client leaves.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	c.SetReadLimit(4096)
	cmds := make(chan clientMessage)
	go readMessages(ctx, cancel, c, cmds)
	go pingEvery(ctx, cancel, c)

	err = a.run(ctx, f, token, sub, wsOut{c: c, p: p}, cmds)
	switch {
	case errors.Is(err, errTokenGone):
		c.Close(websocket.StatusPolicyViolation, p.T("error.api_token_invalid"))
	case errors.Is(err, errFlood):
		c.Close(websocket.StatusPolicyViolation, p.T("error.stream_rate_limited"))
	case errors.Is(err, errShutdown):
		c.Close(websocket.StatusGoingAway, "")
	case errors.Is(err, errRoleChanged):
		c.Close(websocket.StatusTryAgainLater, "")
	case ended(ctx, err):
		c.CloseNow()
	default:
		// The database failed: the app reconnects, and is answered once it is back.
		a.Log.Warn("streaming connection failed", "err", err)
		c.Close(websocket.StatusTryAgainLater, "")
	}
}

// readMessages passes the client's messages to the connection until it leaves.
func readMessages(ctx context.Context, leave context.CancelFunc, c *websocket.Conn, cmds chan<- clientMessage) {
	defer leave()
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		var m clientMessage
		if typ != websocket.MessageText || json.Unmarshal(b, &m) != nil {
			m = clientMessage{bad: true}
		}
		select {
		case cmds <- m:
		case <-ctx.Done():
			return
		}
	}
}

// pingEvery pings the client every keepAlive; a client that does not answer is gone.
func pingEvery(ctx context.Context, leave context.CancelFunc, c *websocket.Conn) {
	t := time.NewTicker(keepAlive)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.Ping(pctx)
			cancel()
			if err != nil {
				leave()
				return
			}
		}
	}
}

// wsOut writes events as Mastodon's WebSocket messages.
type wsOut struct {
	c *websocket.Conn
	p i18n.Printer
}

func (o wsOut) send(ctx context.Context, evs []event) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	for _, e := range evs {
		if err := o.c.Write(ctx, websocket.MessageText, []byte(payload(e))); err != nil {
			return err
		}
	}
	return nil
}

func (o wsOut) heartbeat() error { return nil } // pingEvery keeps the socket alive

// problem sends Mastodon's streaming error message, {"error": "…", "status": 400}.
func (o wsOut) problem(ctx context.Context, err error) error {
	var e *ruche.Error
	errors.As(err, &e)
	status := map[ruche.Code]int{ruche.CodeNotFound: 404, ruche.CodeForbidden: 403, ruche.CodeRateLimited: 429}[e.Code]
	if status == 0 {
		status = 400 // Mastodon's streaming server answers 400 to a bad request
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	msg := payload(map[string]any{"error": o.p.T(e.Key, e.Args...), "status": status})
	return o.c.Write(ctx, websocket.MessageText, []byte(msg))
}

// events serves one stream as server-sent events (/api/v1/streaming/<stream>).
func (a *API) events(stream string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := authn.UserFrom(r.Context())
		if !ok {
			a.Error(w, r, http.StatusUnauthorized, "error.api_unauthorized")
			return
		}
		if (stream == "public" || stream == "public:local") && r.URL.Query().Get("only_media") == "true" {
			stream += ":media"
		}
		release, ok := a.admit(w, r, u.ID)
		if !ok {
			return
		}
		defer release()
		a.serveEvents(w, r, *u, stream)
	})
}

// serveEvents serves stream (with the request's tag or list) as server-sent events.
func (a *API) serveEvents(w http.ResponseWriter, r *http.Request, u ruche.User, stream string) {
	ctx := r.Context()
	q := r.URL.Query()
	f := a.newFeed(r, u)
	sub := a.Hub.SubscribeChanges(u.ID)
	defer a.Hub.Unsubscribe(sub)
	if err := f.subscribe(ctx, stream, q.Get("tag"), q.Get("list")); err != nil {
		a.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not hold events back
	w.WriteHeader(http.StatusOK)
	out := sseOut{w: w, rc: rc}
	if err := out.heartbeat(); err != nil { // the headers go out now: the app knows it is connected
		return
	}
	if err := a.run(ctx, f, authn.BearerToken(r), sub, out, nil); !ended(ctx, err) {
		a.Log.Warn("streaming connection failed", "err", err)
	}
}

// sseOut writes events as server-sent events: the event's name and its payload.
type sseOut struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (o sseOut) send(_ context.Context, evs []event) error {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", e.Event, e.Payload) // JSON has no raw newline
	}
	if _, err := o.w.Write([]byte(b.String())); err != nil {
		return err
	}
	return o.rc.Flush()
}

// heartbeat is Mastodon's comment line, which keeps proxies from closing the stream.
func (o sseOut) heartbeat() error {
	if _, err := o.w.Write([]byte(":thump\n\n")); err != nil {
		return err
	}
	return o.rc.Flush()
}

func (o sseOut) problem(context.Context, error) error { return nil } // no client messages
