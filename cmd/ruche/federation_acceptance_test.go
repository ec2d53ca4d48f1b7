package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// fedSite is one instance of the acceptance scenario with its use cases.
type fedSite struct {
	m      *Main
	base   string
	groups *ruche.Groups
	posts  *ruche.Posts
}

func newFedSite(t *testing.T, name string) *fedSite {
	m, base := fedNode(t, name, "", "")
	return &fedSite{m: m, base: base, groups: &ruche.Groups{Store: m.db.store, Shares: m.db.store, Remote: m.fed},
		posts: &ruche.Posts{Store: m.db.store, BaseURL: base}}
}

func (s *fedSite) user(t *testing.T, name string) ruche.User {
	t.Helper()
	u, err := (&ruche.Accounts{Store: s.m.db.store}).CreateUser(context.Background(), nil, ruche.NewUser{Username: name,
		Email: name + "@example.com", Password: "a long password", Role: ruche.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// stream is what u reads in group g's stream, as "author: text".
func (s *fedSite) stream(u ruche.User, groupID int64) string {
	posts, err := s.posts.Timeline(context.Background(), u, ruche.Stream{Kind: ruche.StreamGroup, AccountID: groupID}, ruche.Page{Limit: 40})
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range posts {
		b.WriteString(p.Author.Handle() + ": " + p.Source + "\n")
	}
	return b.String()
}

// holds counts the rows of s's database that contain text, in posts and in what it
// sent.
func (s *fedSite) holds(t *testing.T, text string) int {
	t.Helper()
	return count(t, s.m, `SELECT (SELECT count(*) FROM posts WHERE source LIKE '%'||$1||'%' OR html LIKE '%'||$1||'%')
		+ (SELECT count(*) FROM outgoing_activities WHERE convert_from(body, 'UTF8') LIKE '%'||$1||'%')
		+ (SELECT count(*) FROM incoming_activities WHERE convert_from(body, 'UTF8') LIKE '%'||$1||'%')`, text)
}

// TestFederationSharedGroupsScenario is issue 7's scenario, with three instances:
// acme and globex are companies, hub is the freelancers' instance; both companies are
// partners of hub, not of each other.
func TestFederationSharedGroupsScenario(t *testing.T) {
	ctx := context.Background()
	acme, globex, hub := newFedSite(t, "acme"), newFedSite(t, "globex"), newFedSite(t, "hub")
	partner(t, acme.m, hub.base)
	partner(t, hub.m, acme.base)
	partner(t, globex.m, hub.base)
	partner(t, hub.m, globex.base)
	ana, bob, gus, zoe := acme.user(t, "ana"), acme.user(t, "bob"), globex.user(t, "gus"), hub.user(t, "zoe")
	acmeHost, hubHost, globexHost := hostOf(acme.base), hostOf(hub.base), hostOf(globex.base)

	// 1. acme shares its closed group design with hub; zoe asks, ana approves.
	design, err := acme.groups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := acme.groups.Create(ctx, ana, "ops", ruche.GroupFields{Name: "Ops", Kind: ruche.GroupOpen})
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.groups.Share(ctx, nil, "design", hubHost); err != nil {
		t.Fatal(err)
	}
	hubDesignID, err := hub.m.fed.ResolveGroup(ctx, "@design@"+acmeHost)
	if err != nil {
		t.Fatal(err)
	}
	designAtHub := "design@" + acmeHost
	if _, err := hub.groups.Join(ctx, zoe, designAtHub); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "zoe's request never reached acme", func() bool {
		ms, _ := acme.groups.Members(ctx, ana, "design", ruche.StateRequested)
		return len(ms) == 1
	})
	if err := acme.groups.Approve(ctx, ana, "design", "zoe@"+hubHost); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "zoe never became a member at hub", func() bool {
		g, err := hub.groups.Get(ctx, zoe, designAtHub)
		return err == nil && g.IsMember()
	})
	welcome, err := acme.posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "Welcome to design"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe never read ana's post", func() bool {
		return strings.Contains(hub.stream(zoe, hubDesignID), "ana@"+acmeHost+": Welcome to design")
	})
	// zoe posts, replies to ana and likes her post, from hub; ana, following her home
	// stream live in an app, sees the post arrive.
	anaApp := withToken(t, acme.m, acme.base, ana, "read")
	ws, _, err := websocket.Dial(ctx, "ws://"+acmeHost+"/api/v1/streaming?stream=user", &websocket.DialOptions{
		HTTPClient: loopback, HTTPHeader: http.Header{"Authorization": {"Bearer " + anaApp.token}, "Origin": {"https://elk.example"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	time.Sleep(100 * time.Millisecond) // the stream has read where it starts
	if _, err := hub.posts.Create(ctx, zoe, ruche.NewPost{GroupHandle: designAtHub, Source: "Mockups are ready"}); err != nil {
		t.Fatal(err)
	}
	smUntil(t, ws, update("user", "Mockups are ready"), nil)
	var copyAtHub int64
	for _, p := range mustTimeline(t, hub, zoe, hubDesignID) {
		if strings.Contains(p.Source, "Welcome to design") {
			copyAtHub = p.ID
		}
	}
	if _, err := hub.posts.Create(ctx, zoe, ruche.NewPost{InReplyToID: copyAtHub, Source: "Thanks ana"}); err != nil {
		t.Fatal(err)
	}
	if err := hub.posts.SetLiked(ctx, zoe, copyAtHub, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "acme never got zoe's post, reply and like", func() bool {
		s := acme.stream(ana, design.ID)
		if !strings.Contains(s, "zoe@"+hubHost+": Mockups are ready") || !strings.Contains(s, "zoe@"+hubHost+": Thanks ana") {
			return false
		}
		p, err := acme.posts.Post(ctx, ana, welcome.ID)
		return err == nil && p.Likes == 1 && p.Replies == 1
	})
	// ana is told of the reply and of the like, as of any.
	if n := count(t, acme.m, `SELECT count(*) FROM notifications WHERE account_id = $1 AND kind IN ('reply', 'like')`, ana.ID); n != 2 {
		t.Errorf("ana has %d reply and like notifications, want 2", n)
	}

	// hub may fetch design's posts while it has members there; nothing else.
	if body, err := hub.m.fed.Fetch(ctx, acme.m.fed.PostIRI(welcome.ID)); err != nil || !strings.Contains(string(body), "Welcome to design") {
		t.Errorf("hub's fetch of ana's post: %v %s", err, body)
	}

	// 2. globex shares mobile with hub; zoe joins it (open). Nothing crosses between
	// acme and globex.
	if _, err := globex.groups.Create(ctx, gus, "mobile", ruche.GroupFields{Name: "Mobile", Kind: ruche.GroupOpen}); err != nil {
		t.Fatal(err)
	}
	if err := globex.groups.Share(ctx, nil, "mobile", hubHost); err != nil {
		t.Fatal(err)
	}
	hubMobileID, err := hub.m.fed.ResolveGroup(ctx, "@mobile@"+globexHost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hub.groups.Join(ctx, zoe, "mobile@"+globexHost); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "zoe never joined mobile", func() bool {
		g, err := hub.groups.Get(ctx, zoe, "mobile@"+globexHost)
		return err == nil && g.IsMember()
	})
	if _, err := globex.posts.Create(ctx, gus, ruche.NewPost{GroupHandle: "mobile", Source: "Release train on Friday"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "zoe never read gus's post", func() bool {
		return strings.Contains(hub.stream(zoe, hubMobileID), "gus@"+globexHost+": Release train on Friday")
	})

	// 3. Every other acme post stays at acme.
	secrets := []ruche.NewPost{
		{Source: "Company all-hands SECRET-C"},
		{Source: "For followers SECRET-F", Visibility: ruche.VisFollowers},
		{Source: "@bob direct SECRET-D", Visibility: ruche.VisDirect},
		{GroupHandle: "ops", Source: "Unshared group SECRET-O"},
	}
	for _, n := range secrets {
		p, err := acme.posts.Create(ctx, ana, n)
		if err != nil {
			t.Fatalf("%s: %v", n.Source, err)
		}
		if _, err := hub.m.fed.Fetch(ctx, acme.m.fed.PostIRI(p.ID)); statusOf(err) != 404 {
			t.Errorf("hub's fetch of %q: %v, want 404", n.Source, err)
		}
	}
	_ = bob
	_ = ops
	time.Sleep(3 * time.Second) // drains and deliveries have had their chance
	for _, secret := range []string{"SECRET-C", "SECRET-F", "SECRET-D", "SECRET-O"} {
		if n := count(t, acme.m, `SELECT count(*) FROM outgoing_activities WHERE convert_from(body, 'UTF8') LIKE '%'||$1||'%'`, secret); n != 0 {
			t.Errorf("acme queued %s for delivery", secret)
		}
		if n := hub.holds(t, secret); n != 0 {
			t.Errorf("hub holds %s", secret)
		}
	}
	for _, text := range []string{"Welcome to design", "Mockups are ready"} {
		if n := globex.holds(t, text); n != 0 {
			t.Errorf("globex holds %q of acme's design", text)
		}
	}
	if n := acme.holds(t, "Release train"); n != 0 {
		t.Errorf("acme holds globex's mobile post")
	}

	// 4. A moderator removes zoe: hub is told, acme refuses whatever else comes from
	// her, hub's fetches of the group's members get 404, and she gets nothing new.
	if err := acme.groups.Remove(ctx, ana, "design", "zoe@"+hubHost); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "hub kept zoe in design", func() bool {
		g, err := hub.groups.Get(ctx, zoe, designAtHub)
		return err == nil && !g.IsMember()
	})
	// As if hub did not listen: it still thinks she is in, and sends her post.
	if _, err := hub.m.db.store.Pool().Exec(ctx, `INSERT INTO group_members (group_id, account_id, state) VALUES ($1, $2, 'member')`, hubDesignID, zoe.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.posts.Create(ctx, zoe, ruche.NewPost{GroupHandle: designAtHub, Source: "After removal SECRET-Z"}); err != nil {
		t.Fatal(err)
	}
	for _, iri := range []string{acme.m.fed.GroupIRI(design.ID) + "/members", acme.m.fed.PostIRI(welcome.ID)} {
		if _, err := hub.m.fed.Fetch(ctx, iri); statusOf(err) != 404 {
			t.Errorf("hub's fetch of %s after the removal: %v, want 404", iri, err)
		}
	}
	if _, err := acme.posts.Create(ctx, ana, ruche.NewPost{GroupHandle: "design", Source: "After zoe left SECRET-A"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if n := acme.holds(t, "SECRET-Z"); n > 1 { // received (1 incoming row) but never stored as a post
		t.Errorf("acme stored zoe's post after her removal")
	}
	if n := count(t, acme.m, `SELECT count(*) FROM posts WHERE source LIKE '%SECRET-Z%'`); n != 0 {
		t.Errorf("acme stored zoe's post after her removal")
	}
	if n := hub.holds(t, "SECRET-A"); n != 0 {
		t.Errorf("hub received a post written after zoe's removal")
	}

	// 5. acme unshares design: hub drops the group and everything of it.
	if err := acme.groups.Unshare(ctx, nil, "design", hubHost); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "hub kept design after the unsharing", func() bool {
		_, err := hub.groups.Get(ctx, zoe, designAtHub)
		return errors.Is(err, ruche.ErrNotFound)
	})
	if n := count(t, hub.m, `SELECT count(*) FROM posts WHERE group_id = $1`, hubDesignID); n != 0 {
		t.Errorf("hub holds %d posts of design after the unsharing", n)
	}
	if n := count(t, hub.m, `SELECT count(*) FROM posts WHERE source LIKE '%Welcome to design%'`); n != 0 {
		t.Errorf("hub holds ana's post after the unsharing")
	}

	// 6. globex is no partner of acme: with valid signatures, it can neither fetch nor
	// follow (it lists acme, acme does not list it).
	partner(t, globex.m, acme.base)
	for _, iri := range []string{acme.m.fed.GroupIRI(design.ID), acme.base + "/.well-known/webfinger?resource=acct:design@" + acmeHost} {
		if _, err := globex.m.fed.Fetch(ctx, iri); statusOf(err) != 403 {
			t.Errorf("globex's fetch of %s: %v, want 403", iri, err)
		}
	}
	if _, err := globex.m.fed.ResolveGroup(ctx, "@design@"+acmeHost); err == nil {
		t.Error("globex resolved acme's group")
	}
	if n := count(t, acme.m, `SELECT count(*) FROM incoming_activities WHERE host = $1`, globexHost); n != 0 {
		t.Errorf("acme stored %d activities of globex", n)
	}
}

func mustTimeline(t *testing.T, s *fedSite, u ruche.User, groupID int64) []ruche.Post {
	t.Helper()
	posts, err := s.posts.Timeline(context.Background(), u, ruche.Stream{Kind: ruche.StreamGroup, AccountID: groupID}, ruche.Page{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	return posts
}
