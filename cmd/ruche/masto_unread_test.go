package main

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/ruche-hive/ruche/internal/mastoapi"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestMastoUnreadCount counts, through the API, the notifications above the
// notifications marker as the list shows them: not the kinds the API leaves out, not
// those about a post the member may no longer see, with the filters of the list and
// capped by limit.
func TestMastoUnreadCount(t *testing.T) {
	m, base := boot(t)
	ctx := context.Background()
	alice := member(t, m, base, "alice", ruche.RoleMember, "read write")
	bob := member(t, m, base, "bob", ruche.RoleMember, "read write")
	carol := member(t, m, base, "carol", ruche.RoleMember, "read write")
	posts := &ruche.Posts{Store: m.db.store, BaseURL: base}
	groups := &ruche.Groups{Store: m.db.store}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	count := func(c *mclient, query string) int {
		t.Helper()
		var n mastoapi.CountResponse
		c.get("/api/v1/notifications/unread_count"+query, &n)
		return n.Count
	}

	// A like, a mention and a follow for alice, through the API.
	var st mastoapi.Status
	alice.ok("POST", "/api/v1/statuses", url.Values{"status": {"Hello"}}).into(t, &st)
	bob.ok("POST", "/api/v1/statuses/"+st.ID+"/favourite", nil)
	bob.ok("POST", "/api/v1/statuses", url.Values{"status": {"@alice see you at noon"}})
	carol.ok("POST", "/api/v1/accounts/"+strconv.FormatInt(alice.user.ID, 10)+"/follow", nil)
	if n := count(alice, ""); n != 3 {
		t.Errorf("unread_count → %d, want 3", n)
	}

	// A post in a group alice hears every post of, and an invitation (a kind the API
	// leaves out, so not counted).
	g, err := groups.Create(ctx, bob.user, "garden", ruche.GroupFields{Name: "Garden", Kind: ruche.GroupOpen})
	must(err)
	_, err = groups.Join(ctx, alice.user, "garden")
	must(err)
	must(groups.SetNotify(ctx, alice.user, "garden", true))
	_, err = groups.Create(ctx, bob.user, "council", ruche.GroupFields{Name: "Council", Kind: ruche.GroupClosed})
	must(err)
	must(groups.Invite(ctx, bob.user, "council", "alice"))
	_, err = posts.Create(ctx, bob.user, ruche.NewPost{GroupHandle: "garden", Source: "News from the garden"})
	must(err)
	if n := count(alice, ""); n != 4 {
		t.Errorf("unread_count with the group post → %d, want 4 (the invitation left out)", n)
	}

	// Alice is no longer in the group, and the notification of its post stays (the
	// store deletes such notifications when a member leaves; here only the membership
	// goes, as in a race with a leave, so that the count's own rule is what is tried):
	// she may not see the post, so it is not counted, as the list does not show it.
	if _, err := m.db.store.Pool().Exec(ctx, `DELETE FROM group_members WHERE group_id = $1 AND account_id = $2`,
		g.ID, alice.user.ID); err != nil {
		t.Fatal(err)
	}
	var ns []mastoapi.Notification
	alice.get("/api/v1/notifications", &ns)
	if len(ns) != 3 {
		t.Fatalf("alice's notifications → %d, want 3", len(ns))
	}
	if n := count(alice, ""); n != 3 {
		t.Errorf("unread_count after the group post went out of view → %d, want 3", n)
	}

	// The list's filters, and the cap.
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"?limit=2", 2},
		{"?limit=0", 3},
		{"?types[]=favourite", 1},
		{"?types[]=favourite&types[]=follow", 2},
		{"?exclude_types[]=mention", 2},
		{"?account_id=" + strconv.FormatInt(bob.user.ID, 10), 2},
		{"?types[]=poll", 0}, // a type Ruche never sends
	} {
		if n := count(alice, tc.query); n != tc.want {
			t.Errorf("unread_count%s → %d, want %d", tc.query, n, tc.want)
		}
	}

	// Above the marker only.
	alice.ok("POST", "/api/v1/markers", url.Values{"notifications[last_read_id]": {ns[1].ID}})
	if n := count(alice, ""); n != 1 {
		t.Errorf("unread_count after the marker → %d, want 1", n)
	}
	alice.ok("POST", "/api/v1/markers", url.Values{"notifications[last_read_id]": {ns[0].ID}})
	if n := count(alice, "?limit=1000"); n != 0 {
		t.Errorf("unread_count at the newest → %d, want 0", n)
	}
	if n := count(alice, ""); n != 0 {
		t.Errorf("v1 unread_count at the newest → %d, want 0", n)
	}
	var v2 mastoapi.CountResponse
	if alice.get("/api/v2/notifications/unread_count", &v2); v2.Count != 0 {
		t.Errorf("v2 unread_count at the newest → %d, want 0", v2.Count)
	}

	// Each counts only their own.
	if n := count(carol, ""); n != 0 {
		t.Errorf("carol's unread_count → %d, want 0", n)
	}
	if n := count(bob, ""); n != 0 {
		t.Errorf("bob's unread_count → %d, want 0", n)
	}

	// Bad input.
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/notifications/unread_count?limit=many", nil)
	alice.want(http.StatusUnprocessableEntity, "GET", "/api/v1/notifications/unread_count?account_id=x", nil)
}
