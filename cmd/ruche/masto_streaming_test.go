package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ruche-hive/ruche/internal/apispec"
	"github.com/ruche-hive/ruche/internal/live"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// smEvent is one message of the streaming API, from a WebSocket or server-sent events
// (which carry no stream).
type smEvent struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
	Error   string   `json:"error"`
	Status  int      `json:"status"`
}

func (e smEvent) String() string {
	return fmt.Sprintf("%v %s %.300s%s", e.Stream, e.Event, e.Payload, e.Error)
}

// smWait bounds every wait for an event, so that a failure never hangs; it stays
// under the streams' 15 s catch-up tick, so only the LISTEN/NOTIFY path can pass.
const smWait = 12 * time.Second

// smToken says how a WebSocket presents its token.
type smToken int

const (
	smHeader   smToken = iota // Authorization: Bearer
	smQuery                   // access_token=
	smProtocol                // Sec-WebSocket-Protocol
)

// smDial opens /api/v1/streaming with query (e.g. "stream=user") as c.
func smDial(t *testing.T, c *mclient, query string, how smToken) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), smWait)
	defer cancel()
	u := "ws" + strings.TrimPrefix(c.base, "http") + "/api/v1/streaming"
	opts := &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://elk.example"}}}
	switch how {
	case smHeader:
		opts.HTTPHeader.Set("Authorization", "Bearer "+c.token)
	case smQuery:
		query += "&access_token=" + url.QueryEscape(c.token)
	case smProtocol:
		opts.Subprotocols = []string{c.token}
	}
	ws, resp, err := websocket.Dial(ctx, u+"?"+query, opts)
	if err == nil {
		t.Cleanup(func() { ws.CloseNow() })
	}
	return ws, resp, err
}

// smConnect opens a WebSocket as c following query's stream, or fails the test.
func smConnect(t *testing.T, c *mclient, query string) *websocket.Conn {
	t.Helper()
	ws, resp, err := smDial(t, c, query, smHeader)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", query, err, resp)
	}
	time.Sleep(100 * time.Millisecond) // the connection has read where its streams start
	return ws
}

// smSend sends a client message.
func smSend(t *testing.T, ws *websocket.Conn, msg any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), smWait)
	defer cancel()
	b, _ := json.Marshal(msg)
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the subscription has started
}

// smRead returns the next message of ws.
func smRead(t *testing.T, ctx context.Context, ws *websocket.Conn) (smEvent, error) {
	t.Helper()
	typ, b, err := ws.Read(ctx)
	if err != nil {
		return smEvent{}, err
	}
	var e smEvent
	if typ != websocket.MessageText || json.Unmarshal(b, &e) != nil {
		t.Fatalf("not a JSON text message: %s", b)
	}
	return e, nil
}

// smUntil reads ws until an event for which want is true, and returns it. Any event
// before it for which never is true fails the test.
func smUntil(t *testing.T, ws *websocket.Conn, want, never func(smEvent) bool) smEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), smWait)
	defer cancel()
	for {
		e, err := smRead(t, ctx, ws)
		if err != nil {
			t.Fatalf("no wanted event within %s: %v", smWait, err)
		}
		if never != nil && never(e) {
			t.Fatalf("stream leaked: %s", e)
		}
		if want(e) {
			return e
		}
	}
}

// smStatus decodes and validates an update's payload against Mastodon's Status.
func smStatus(t *testing.T, e smEvent) map[string]any {
	t.Helper()
	if err := apispec.Schema("Status", []byte(e.Payload)); err != nil {
		t.Errorf("%s payload is not a Status: %v", e.Event, err)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(e.Payload), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// update matches an update whose status contains text, on stream.
func update(stream, text string) func(smEvent) bool {
	return func(e smEvent) bool {
		return e.Event == "update" && strings.Join(e.Stream, " ") == stream && strings.Contains(e.Payload, text)
	}
}

// mentions matches any event whose payload contains text.
func mentions(text string) func(smEvent) bool {
	return func(e smEvent) bool { return strings.Contains(e.Payload, text) }
}

// smPost posts as c and returns the status id.
func smPost(t *testing.T, c *mclient, body map[string]any) string {
	t.Helper()
	var s struct {
		ID string `json:"id"`
	}
	c.ok("POST", "/api/v1/statuses", body).into(t, &s)
	return s.ID
}

// TestMastoStreamingWebSocket: a member's WebSocket gets their home, their
// notifications, and the streams they subscribe to by message, never a post they may
// not read; deletions and edits of what it showed, and nothing about the rest.
func TestMastoStreamingWebSocket(t *testing.T) {
	m, base := boot(t)
	ctx := context.Background()
	bob := member(t, m, base, "bob", ruche.RoleMember)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	carol := member(t, m, base, "carol", ruche.RoleMember)
	bob.ok("POST", "/api/v1/accounts/"+idOf(alice.user.ID)+"/follow", nil)
	bobsPost := smPost(t, bob, map[string]any{"status": "Bob's own news"})
	// A secret group of alice's and carol's, which bob is not in.
	groups := &ruche.Groups{Store: m.db.store}
	if _, err := groups.Create(ctx, alice.user, "cabal", ruche.GroupFields{Name: "Cabal", Kind: ruche.GroupSecret}); err != nil {
		t.Fatal(err)
	}

	ws := smConnect(t, bob, "stream=user")
	// A post of someone bob follows arrives on his home stream, as a valid Status.
	hello := smPost(t, alice, map[string]any{"status": "Hello from alice", "visibility": "public"})
	e := smUntil(t, ws, update("user", "Hello from alice"), nil)
	if s := smStatus(t, e); s["id"] != hello {
		t.Errorf("update id %v, want %s", s["id"], hello)
	}
	// A like of bob's post is a notification on the same stream.
	alice.ok("POST", "/api/v1/statuses/"+bobsPost+"/favourite", nil)
	e = smUntil(t, ws, func(e smEvent) bool { return e.Event == "notification" }, nil)
	if err := apispec.Schema("Notification", []byte(e.Payload)); err != nil {
		t.Errorf("notification payload: %v\n%s", err, e.Payload)
	}
	if strings.Join(e.Stream, " ") != "user" || !strings.Contains(e.Payload, `"type":"favourite"`) {
		t.Errorf("notification event: %s", e)
	}

	// Streams added by message: a hashtag, and the public one.
	smSend(t, ws, map[string]any{"type": "subscribe", "stream": "hashtag", "tag": "lunch"})
	smSend(t, ws, map[string]any{"type": "subscribe", "stream": "public:local"})
	// Nothing bob may not read arrives on any stream: a followers-only post of
	// someone he does not follow, a group post of a group he is not in (by someone
	// he follows), a direct post between others.
	secrets := []struct {
		by *mclient
		id string
	}{
		{carol, smPost(t, carol, map[string]any{"status": "Carol's #lunch secret", "visibility": "private"})},
		{alice, smPost(t, alice, map[string]any{"status": "@cabal #lunch plot", "visibility": "public"})},
		{alice, smPost(t, alice, map[string]any{"status": "@carol #lunch whisper", "visibility": "direct"})},
	}
	leak := func(e smEvent) bool {
		return strings.Contains(e.Payload, "secret") || strings.Contains(e.Payload, "plot") || strings.Contains(e.Payload, "whisper")
	}
	smPost(t, carol, map[string]any{"status": "Carol says #lunch at noon", "visibility": "public"})
	seen := map[string]bool{}
	for len(seen) < 2 {
		e := smUntil(t, ws, mentions("Carol says"), leak)
		smStatus(t, e)
		seen[strings.Join(e.Stream, " ")] = true
	}
	if !seen["hashtag lunch"] || !seen["public:local"] {
		t.Errorf("marker seen on %v, want hashtag lunch and public:local", seen)
	}
	// A followers-only post of someone bob follows does arrive at home.
	smPost(t, alice, map[string]any{"status": "Alice to her followers", "visibility": "private"})
	smUntil(t, ws, update("user", "Alice to her followers"), leak)

	// An edit of a post the stream showed is a status.update; its deletion a delete.
	alice.ok("PUT", "/api/v1/statuses/"+hello, map[string]any{"status": "Hello again from alice"})
	e = smUntil(t, ws, func(e smEvent) bool { return e.Event == "status.update" }, leak)
	if s := smStatus(t, e); s["id"] != hello || !strings.Contains(e.Payload, "Hello again") {
		t.Errorf("status.update: %s", e)
	}
	// Deleting posts bob never saw says nothing; deleting hello does.
	for _, p := range secrets {
		p.by.ok("DELETE", "/api/v1/statuses/"+p.id, nil)
	}
	alice.ok("DELETE", "/api/v1/statuses/"+hello, nil)
	e = smUntil(t, ws, func(e smEvent) bool { return e.Event == "delete" }, func(e smEvent) bool {
		return e.Event == "delete" && e.Payload != hello
	})
	if e.Payload != hello || strings.Join(e.Stream, " ") != "user" {
		t.Errorf("delete event: %s, want %s on user", e, hello)
	}

	// Unsubscribing stops a stream; the others go on.
	smSend(t, ws, map[string]any{"type": "unsubscribe", "stream": "hashtag", "tag": "lunch"})
	smSend(t, ws, map[string]any{"type": "unsubscribe", "stream": "public:local"})
	smPost(t, carol, map[string]any{"status": "Carol again #lunch", "visibility": "public"})
	smPost(t, alice, map[string]any{"status": "Alice marker", "visibility": "public"})
	smUntil(t, ws, update("user", "Alice marker"), mentions("Carol again"))

	// A boost the stream showed is deleted when undone, and with the post it boosts.
	boosted := smPost(t, carol, map[string]any{"status": "Boostable by carol", "visibility": "public"})
	reblog := func() string {
		var boost struct {
			ID string `json:"id"`
		}
		alice.ok("POST", "/api/v1/statuses/"+boosted+"/reblog", nil).into(t, &boost)
		e := smUntil(t, ws, update("user", "Boostable by carol"), nil)
		if s := smStatus(t, e); s["id"] != boost.ID || s["reblog"] == nil {
			t.Errorf("boost arrived as %s, want id %s with its reblog", e, boost.ID)
		}
		return boost.ID
	}
	isDelete := func(e smEvent) bool { return e.Event == "delete" }
	boost := reblog()
	alice.ok("POST", "/api/v1/statuses/"+boosted+"/unreblog", nil)
	if e := smUntil(t, ws, isDelete, nil); e.Payload != boost {
		t.Errorf("unreblog: %s, want the boost %s deleted", e, boost)
	}
	boost = reblog()
	carol.ok("DELETE", "/api/v1/statuses/"+boosted, nil)
	if e := smUntil(t, ws, isDelete, nil); e.Payload != boost {
		t.Errorf("deleting the boosted post: %s, want the boost %s deleted", e, boost)
	}

	// Refusals come as Mastodon's error messages, and the connection stays.
	for _, c := range []struct {
		msg    string
		status int
	}{
		{`{"type":"subscribe","stream":"nonsense"}`, 400},
		{`{"type":"subscribe","stream":"hashtag"}`, 400},
		{`{"type":"subscribe","stream":"list","list":"999999"}`, 404},
		{`not json`, 400},
	} {
		smSend(t, ws, json.RawMessage(c.msg))
		e := smUntil(t, ws, func(e smEvent) bool { return e.Error != "" }, nil)
		if e.Status != c.status {
			t.Errorf("%s → %d %q, want %d", c.msg, e.Status, e.Error, c.status)
		}
	}
	smPost(t, alice, map[string]any{"status": "Still here", "visibility": "public"})
	smUntil(t, ws, update("user", "Still here"), nil)
}

// TestMastoStreamingAcrossNodes: a WebSocket open on one node gets a post made on
// another node of the same database.
func TestMastoStreamingAcrossNodes(t *testing.T) {
	a, baseA := boot(t)
	_, baseB := bootOn(t, a.Config.DatabaseURL)
	bob := member(t, a, baseA, "bob", ruche.RoleMember)
	alice := member(t, a, baseB, "alice", ruche.RoleMember)
	ws, resp, err := smDial(t, bob, "stream=public:local", smProtocol)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	// The token came as the subprotocol: it is echoed, as browsers require.
	if ws.Subprotocol() != bob.token {
		t.Errorf("subprotocol %q, want the token echoed", ws.Subprotocol())
	}
	time.Sleep(100 * time.Millisecond)
	smPost(t, alice, map[string]any{"status": "Posted on node B", "visibility": "public"})
	smStatus(t, smUntil(t, ws, update("public:local", "Posted on node B"), nil))
}

// TestMastoStreamingAuth: tokens in each of the three places; refusals before the
// upgrade; a revoked token's connection ends.
func TestMastoStreamingAuth(t *testing.T) {
	m, base := boot(t)
	ctx := context.Background()
	bob := member(t, m, base, "bob", ruche.RoleMember)
	alice := member(t, m, base, "alice", ruche.RoleMember)

	for _, how := range []smToken{smHeader, smQuery, smProtocol} {
		ws, resp, err := smDial(t, bob, "stream=public", how)
		if err != nil {
			t.Fatalf("token way %d: %v (%v)", how, err, resp)
		}
		ws.CloseNow()
	}
	refusals := []struct {
		name   string
		c      *mclient
		query  string
		status int
	}{
		{"bad token", &mclient{base: base, token: "not-a-token"}, "stream=user", 401},
		{"no token", &mclient{base: base}, "stream=user", 401},
		{"no read:statuses", withToken(t, m, base, bob.user, "read:notifications"), "stream=user", 403},
		{"unknown stream", bob, "stream=nonsense", 422},
		{"hashtag without tag", bob, "stream=hashtag", 422},
		{"someone else's list", bob, "stream=list&list=" + smList(t, alice), 404},
	}
	for _, c := range refusals {
		_, resp, err := smDial(t, c.c, c.query, smHeader)
		if err == nil || resp == nil || resp.StatusCode != c.status {
			t.Errorf("%s: err %v, response %v; want %d before the upgrade", c.name, err, resp, c.status)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		if err := apispec.Schema("Error", b); err != nil {
			t.Errorf("%s: %v\n%s", c.name, err, b)
		}
	}
	// Notifications need read:notifications on top of read:statuses.
	statusesOnly := withToken(t, m, base, bob.user, "read:statuses")
	ws := smConnect(t, statusesOnly, "stream=public")
	smSend(t, ws, map[string]any{"type": "subscribe", "stream": "user:notification"})
	if e := smUntil(t, ws, func(e smEvent) bool { return e.Error != "" }, nil); e.Status != 403 {
		t.Errorf("user:notification without read:notifications → %d, want 403", e.Status)
	}

	// A revoked token's connection ends, and gets nothing more.
	oauth := &ruche.OAuth{Store: m.db.store}
	sc, _ := ruche.ParseScopes("read")
	app, tok, err := oauth.CreatePersonalToken(ctx, bob.user, "revoked app", sc)
	if err != nil {
		t.Fatal(err)
	}
	revoked := &mclient{t: t, base: base, token: tok.AccessToken, user: bob.user}
	ws = smConnect(t, revoked, "stream=public:local")
	if err := oauth.RevokeApp(ctx, bob.user, app.ID); err != nil {
		t.Fatal(err)
	}
	smPost(t, alice, map[string]any{"status": "After the revocation", "visibility": "public"})
	rctx, cancel := context.WithTimeout(ctx, smWait)
	defer cancel()
	for {
		e, err := smRead(t, rctx, ws)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Errorf("connection ended with %v, want policy violation", err)
			}
			break
		}
		t.Errorf("a revoked token got %s", e)
	}
}

// smList creates a list of c's and returns its id.
func smList(t *testing.T, c *mclient) string {
	t.Helper()
	var l struct {
		ID string `json:"id"`
	}
	c.ok("POST", "/api/v1/lists", map[string]any{"title": "Mine"}).into(t, &l)
	return l.ID
}

// smSSE opens path as server-sent events for c and returns its events: "event" and
// its data, and ":thump" for heartbeats.
func smSSE(t *testing.T, ctx context.Context, c *mclient, path string) <-chan smEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	events := make(chan smEvent, 100)
	go func() {
		defer resp.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e smEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == ":thump":
				events <- smEvent{Event: ":thump"}
			case strings.HasPrefix(line, "event: "):
				e.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				e.Payload += strings.TrimPrefix(line, "data: ")
			case line == "" && e.Event != "":
				events <- e
				e = smEvent{}
			}
		}
	}()
	return events
}

// smNextSSE waits for an event named name on events.
func smNextSSE(t *testing.T, path string, events <-chan smEvent, name string) smEvent {
	t.Helper()
	timeout := time.After(smWait)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("%s closed before %q", path, name)
			}
			if e.Event == name {
				return e
			}
		case <-timeout:
			t.Fatalf("%s: no %q within %s", path, name, smWait)
		}
	}
}

// TestMastoStreamingServerSentEvents opens each stream as server-sent events and
// checks what it carries against Mastodon's schemas.
func TestMastoStreamingServerSentEvents(t *testing.T) {
	m, base := boot(t)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	// The company-wide streams are carol's: one member may hold only
	// live.MaxConnections streams at once.
	carol := member(t, m, base, "carol", ruche.RoleMember)
	bob.ok("POST", "/api/v1/accounts/"+idOf(alice.user.ID)+"/follow", nil)
	list := smList(t, bob)
	bob.ok("POST", "/api/v1/lists/"+list+"/accounts", map[string]any{"account_ids": []string{idOf(alice.user.ID)}})
	bobsPost := smPost(t, bob, map[string]any{"status": "Bob's news"})

	// The health check is public and plain.
	resp, err := http.Get(base + "/api/v1/streaming/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "OK" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("health → %d %q %s", resp.StatusCode, b, resp.Header.Get("Content-Type"))
	} else {
		apispec.Record("GET", "/api/v1/streaming/health")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	streams := []struct {
		by                  *mclient
		path, event, schema string
	}{
		{bob, "/api/v1/streaming/user", "update", "Status"},
		{bob, "/api/v1/streaming/user/notification", "notification", "Notification"},
		{carol, "/api/v1/streaming/public", "update", "Status"},
		{carol, "/api/v1/streaming/public/local", "update", "Status"},
		{carol, "/api/v1/streaming/public/remote", ":thump", ""},
		{carol, "/api/v1/streaming/hashtag?tag=lunch", "update", "Status"},
		{carol, "/api/v1/streaming/hashtag/local?tag=Lunch", "update", "Status"},
		{bob, "/api/v1/streaming/list?list=" + list, "update", "Status"},
		{bob, "/api/v1/streaming/direct", "conversation", "Conversation"},
		{carol, "/api/v1/streaming?stream=public:local", "update", "Status"},
	}
	open := make([]<-chan smEvent, len(streams))
	for i, s := range streams {
		open[i] = smSSE(t, ctx, s.by, s.path)
	}
	time.Sleep(200 * time.Millisecond) // every stream has read where it starts
	smPost(t, alice, map[string]any{"status": "Lunch is #lunch at noon", "visibility": "public"})
	alice.ok("POST", "/api/v1/statuses/"+bobsPost+"/favourite", nil)
	smPost(t, alice, map[string]any{"status": "@bob a word in private", "visibility": "direct"})
	for i, s := range streams {
		e := smNextSSE(t, s.path, open[i], s.event)
		if s.schema == "" {
			continue
		}
		if err := apispec.Schema(s.schema, []byte(e.Payload)); err != nil {
			t.Errorf("%s: %s payload is not a %s: %v\n%.1000s", s.path, s.event, s.schema, err, e.Payload)
			continue
		}
		if tmpl, ok := apispec.MatchPath("GET", s.path); ok {
			apispec.Record("GET", tmpl) // the stream's answer was checked: text/event-stream of valid entities
		}
	}
	apispec.Record("GET", "/api/v1/streaming/public/remote")

	// Refusals answer before the stream starts.
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/api/v1/streaming/hashtag", 422},
		{"/api/v1/streaming/list", 422},
		{"/api/v1/streaming/list?list=" + smList(t, alice), 404},
		{"/api/v1/streaming?stream=nonsense", 422},
	} {
		bob.want(c.status, "GET", c.path, nil)
	}
	withToken(t, m, base, bob.user, "read:statuses").want(403, "GET", "/api/v1/streaming/user/notification", nil)
}

// TestMastoStreamingConnectionLimit: one member holds at most live.MaxConnections
// streaming connections on a node, WebSockets and server-sent events together, whatever
// token they use; the next is refused with 429 before the upgrade, others are not
// affected, and a connection that ends gives its slot back.
func TestMastoStreamingConnectionLimit(t *testing.T) {
	m, base := boot(t)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	other := withToken(t, m, base, bob.user, "read")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const events = 2 // of the live.MaxConnections, as server-sent events
	var sockets []*websocket.Conn
	for range live.MaxConnections - events {
		ws, resp, err := smDial(t, bob, "stream=public", smHeader)
		if err != nil {
			t.Fatalf("connection %d: %v (%v)", len(sockets)+1, err, resp)
		}
		sockets = append(sockets, ws)
	}
	for range events {
		smSSE(t, ctx, bob, "/api/v1/streaming/public")
	}

	// One more is refused, as a WebSocket or as events, with either token.
	refused := func(what string) {
		t.Helper()
		for _, c := range []*mclient{bob, other} {
			_, resp, err := smDial(t, c, "stream=public", smHeader)
			if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("%s: WebSocket → err %v, response %v; want 429 before the upgrade", what, err, resp)
			} else if b, _ := io.ReadAll(resp.Body); apispec.Schema("Error", b) != nil || !strings.Contains(string(b), fmt.Sprint(live.MaxConnections)) {
				t.Errorf("%s: WebSocket → 429 %s, want Mastodon's error saying the limit", what, b)
			}
			c.want(http.StatusTooManyRequests, "GET", "/api/v1/streaming/user", nil)
		}
	}
	refused("a ninth connection")
	// Another member is not counted with bob.
	smConnect(t, alice, "stream=public")

	// Closing one gives its slot back, once the node has noticed.
	sockets[0].Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(smWait)
	for {
		ws, resp, err := smDial(t, other, "stream=public", smHeader)
		if err == nil {
			sockets[0] = ws
			break
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("after closing one: %v (%v), want the slot back", err, resp)
		}
		time.Sleep(50 * time.Millisecond)
	}
	refused("again at the limit")
	// The connections at the limit still work.
	time.Sleep(100 * time.Millisecond)
	smPost(t, alice, map[string]any{"status": "At the limit", "visibility": "public"})
	for _, ws := range sockets {
		smUntil(t, ws, update("public", "At the limit"), nil)
	}
}

// TestMastoStreamingMessageLimit: a WebSocket client may send a burst of messages,
// then about one a second; one beyond is answered with a 429 error event and ignored,
// and a client that keeps sending is disconnected with 1008.
func TestMastoStreamingMessageLimit(t *testing.T) {
	m, base := boot(t)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	bob.ok("POST", "/api/v1/accounts/"+idOf(alice.user.ID)+"/follow", nil)
	ws := smConnect(t, bob, "stream=user")
	write := func(msg string) error {
		ctx, cancel := context.WithTimeout(context.Background(), smWait)
		defer cancel()
		return ws.Write(ctx, websocket.MessageText, []byte(msg))
	}
	isError := func(e smEvent) bool { return e.Error != "" }

	// A burst of messages that cost nothing (stopping a stream not followed), then
	// one that would start a stream: it comes over the limit, and is ignored.
	for i := range 10 {
		if err := write(`{"type":"unsubscribe","stream":"public:remote"}`); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	if err := write(`{"type":"subscribe","stream":"hashtag","tag":"ignored"}`); err != nil {
		t.Fatal(err)
	}
	if e := smUntil(t, ws, isError, nil); e.Status != http.StatusTooManyRequests {
		t.Errorf("over the limit → %d %q, want 429", e.Status, e.Error)
	}
	onHashtag := func(e smEvent) bool { return len(e.Stream) > 0 && e.Stream[0] == "hashtag" }
	smPost(t, alice, map[string]any{"status": "Tagged #ignored", "visibility": "public"})
	smUntil(t, ws, update("user", "Tagged"), onHashtag)
	smPost(t, alice, map[string]any{"status": "After the tagged one", "visibility": "public"})
	smUntil(t, ws, update("user", "After the tagged one"), onHashtag)

	// Keeping on sending ends the connection.
	for range 40 {
		if write(`{"type":"unsubscribe","stream":"public:remote"}`) != nil {
			break // the node has closed it
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), smWait)
	defer cancel()
	for {
		e, err := smRead(t, ctx, ws)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Errorf("connection ended with %v, want policy violation (1008)", err)
			}
			break
		}
		if e.Error == "" || e.Status != http.StatusTooManyRequests {
			t.Errorf("while flooding, got %s (status %d), want only 429 errors", e, e.Status)
		}
	}
}

// TestMastoStreamingSubscribeTwice: subscribing again to a stream a connection
// follows (a hashtag spelt another way included) is a no-op: each post comes once
// per stream.
func TestMastoStreamingSubscribeTwice(t *testing.T) {
	m, base := boot(t)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	ws := smConnect(t, bob, "stream=public:local")
	smSend(t, ws, map[string]any{"type": "subscribe", "stream": "public:local"})
	smSend(t, ws, map[string]any{"type": "subscribe", "stream": "hashtag", "tag": "lunch"})
	smSend(t, ws, map[string]any{"type": "subscribe", "stream": "hashtag", "tag": "#Lunch"})

	seen := map[string]int{}
	count := func(e smEvent) bool {
		if e.Event == "update" && strings.Contains(e.Payload, "Once only") {
			seen[strings.Join(e.Stream, " ")]++
		}
		return false
	}
	smPost(t, alice, map[string]any{"status": "Once only #lunch", "visibility": "public"})
	smUntil(t, ws, func(e smEvent) bool { count(e); return seen["hashtag lunch"] > 0 }, nil)
	smPost(t, alice, map[string]any{"status": "The end", "visibility": "public"})
	smUntil(t, ws, update("public:local", "The end"), count)
	if want := map[string]int{"public:local": 1, "hashtag lunch": 1}; !maps.Equal(seen, want) {
		t.Errorf("updates of the post by stream: %v, want %v", seen, want)
	}
}
