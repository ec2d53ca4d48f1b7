package main

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-mastodon"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var oobCodeRE = regexp.MustCompile(`readonly value="([A-Za-z0-9_-]{20,})"`)

// TestThirdPartyClient drives Ruche with a Mastodon client library written by others
// (github.com/mattn/go-mastodon), as an app on a phone would: it registers, the member
// signs in and consents in the browser, then the app posts, reads home and the company
// stream, favourites, reads notifications, joins a group and posts to it, and follows
// the home stream live over a WebSocket and the company stream over server-sent events.
func TestThirdPartyClient(t *testing.T) {
	m, base := boot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	web := signedIn(t, m, base, "alice", "member")
	bob := member(t, m, base, "bob", ruche.RoleMember)
	alice, err := m.db.store.UserByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&ruche.Groups{Store: m.db.store}).Create(ctx, bob.user, "team", ruche.GroupFields{Name: "Team", Kind: ruche.GroupOpen}); err != nil {
		t.Fatal(err)
	}

	// The app registers and sends the member to the consent page.
	app, err := mastodon.RegisterApp(ctx, &mastodon.AppConfig{Server: base, ClientName: "go-mastodon test",
		Scopes: "read write follow push", RedirectURIs: ruche.OOB, Website: "https://example.com/app"})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	auth, err := url.Parse(app.AuthURI)
	if err != nil || !strings.HasPrefix(app.AuthURI, base+"/oauth/authorize?") {
		t.Fatalf("auth URI %q", app.AuthURI)
	}
	consent := auth.RequestURI()
	want(t, web.get(consent), 200, "go-mastodon test")
	form := url.Values{"decision": {"approve"}}
	for k, v := range auth.Query() {
		form[k] = v
	}
	shown := web.submit(consent, "/oauth/authorize", form)
	code := oobCodeRE.FindStringSubmatch(shown.body)
	if code == nil {
		t.Fatalf("no code on the out-of-band page (%d):\n%s", shown.status, shown.body)
	}
	c := mastodon.NewClient(&mastodon.Config{Server: base, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
	if err := c.AuthenticateToken(ctx, code[1], ruche.OOB); err != nil {
		t.Fatalf("token: %v", err)
	}
	me, err := c.GetAccountCurrentUser(ctx)
	if err != nil || me.Username != "alice" || string(me.ID) != idOf(alice.ID) {
		t.Fatalf("verify_credentials = %+v, %v", me, err)
	}

	// Live: the home stream over a WebSocket, the company stream over SSE.
	ws, err := c.NewWSClient().StreamingWSUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sse, err := c.StreamingPublic(ctx, true)
	if err != nil {
		t.Fatal(err)
	}

	posted, err := c.PostStatus(ctx, &mastodon.Toot{Status: "Hello from an app #launch", Visibility: "public"})
	if err != nil || !strings.Contains(posted.Content, "Hello from an app") || posted.Visibility != "public" {
		t.Fatalf("post = %+v, %v", posted, err)
	}
	home, err := c.GetTimelineHome(ctx, nil)
	if err != nil || len(home) == 0 || home[0].ID != posted.ID {
		t.Fatalf("home = %v, %v", home, err)
	}
	public, err := c.GetTimelinePublic(ctx, true, nil)
	if err != nil || len(public) == 0 || public[0].ID != posted.ID {
		t.Fatalf("company stream = %v, %v", public, err)
	}

	// Bob posts; Alice follows him and favourites it; Bob favourites hers.
	bobs, err := c.AccountLookup(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if rel, err := c.AccountFollow(ctx, bobs.ID); err != nil || !rel.Following {
		t.Fatalf("follow = %+v, %v", rel, err)
	}
	var bobPost struct{ ID string }
	bob.ok("POST", "/api/v1/statuses", url.Values{"status": {"Standup in five"}}).into(t, &bobPost)
	if st, err := c.Favourite(ctx, mastodon.ID(bobPost.ID)); err != nil || st.Favourited != true || st.FavouritesCount != 1 {
		t.Fatalf("favourite = %+v, %v", st, err)
	}
	bob.ok("POST", "/api/v1/statuses/"+string(posted.ID)+"/favourite", nil)
	notes, err := c.GetNotifications(ctx, nil)
	if err != nil || len(notes) == 0 || notes[0].Type != "favourite" || notes[0].Account.Username != "bob" || notes[0].Status.ID != posted.ID {
		t.Fatalf("notifications = %+v, %v", notes, err)
	}

	// Joining a group is following its account; "@team …" posts into it.
	team, err := c.AccountLookup(ctx, "team")
	if err != nil || team.Username != "team" {
		t.Fatalf("group account = %+v, %v", team, err)
	}
	if _, err := c.AccountFollow(ctx, team.ID); err != nil {
		t.Fatalf("join: %v", err)
	}
	inGroup, err := c.PostStatus(ctx, &mastodon.Toot{Status: "@team the launch checklist is ready"})
	if err != nil || inGroup.Visibility != "private" {
		t.Fatalf("group post = %+v, %v", inGroup, err)
	}
	groupPosts, err := c.GetAccountStatuses(ctx, team.ID, nil)
	if err != nil || len(groupPosts) == 0 || groupPosts[0].ID != inGroup.ID {
		t.Fatalf("group stream = %v, %v", groupPosts, err)
	}

	// What arrives live: Bob's posts on Alice's home stream, over the WebSocket; on the
	// company stream, over SSE. A stream sends what is posted after it is open, and the
	// library opens them in the background, so Bob posts again until one arrives.
	wantEvent := func(name string, q chan mastodon.Event) {
		t.Helper()
		for i := 0; ; i++ {
			var st struct{ ID string }
			bob.ok("POST", "/api/v1/statuses", url.Values{"status": {fmt.Sprintf("Live %s %d", name, i)}}).into(t, &st)
			wait := time.After(2 * time.Second)
		read:
			for {
				select {
				case e := <-q:
					switch e := e.(type) {
					case *mastodon.UpdateEvent:
						if string(e.Status.ID) == st.ID && e.Status.Account.Username == "bob" {
							return
						}
					case *mastodon.ErrorEvent:
						t.Fatalf("%s: %v", name, e.Err)
					}
				case <-wait:
					break read
				case <-ctx.Done():
					t.Fatalf("%s: nothing arrived", name)
				}
			}
		}
	}
	wantEvent("home over WebSocket", ws)
	wantEvent("company stream over SSE", sse)
}
