package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestMastoFollowRequests: a moderator of a closed group accepts and turns down join
// requests from an app, as follow requests (the Accept and Reject buttons apps show
// beside a follow_request notification).
func TestMastoFollowRequests(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	carol := member(t, m, base, "carol", ruche.RoleMember)
	g, err := (&ruche.Groups{Store: m.db.store}).Create(context.Background(), alice.user, "board", ruche.GroupFields{Name: "Board", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	var rel struct {
		Following, Requested bool
	}
	bob.ok("POST", "/api/v1/accounts/"+idOf(g.ID)+"/follow", nil).into(t, &rel)
	carol.ok("POST", "/api/v1/accounts/"+idOf(g.ID)+"/follow", nil)
	if rel.Following || !rel.Requested {
		t.Fatalf("asking to join a closed group: %+v", rel)
	}
	var notes []struct {
		Type    string
		Account struct{ Username string }
	}
	alice.get("/api/v1/notifications?types[]=follow_request", &notes)
	if len(notes) != 2 {
		t.Fatalf("moderator's follow_request notifications = %+v", notes)
	}
	var reqs []struct{ ID, Username string }
	alice.get("/api/v1/follow_requests", &reqs)
	if len(reqs) != 2 || reqs[0].Username != "carol" || reqs[1].Username != "bob" {
		t.Fatalf("follow requests = %+v", reqs)
	}
	// Someone who moderates nothing has none, and cannot decide.
	var none []any
	carol.get("/api/v1/follow_requests", &none)
	if len(none) != 0 {
		t.Fatalf("carol's follow requests = %v", none)
	}
	carol.want(http.StatusNotFound, "POST", "/api/v1/follow_requests/"+idOf(bob.user.ID)+"/authorize", nil)

	alice.ok("POST", "/api/v1/follow_requests/"+idOf(bob.user.ID)+"/authorize", nil)
	alice.ok("POST", "/api/v1/follow_requests/"+idOf(carol.user.ID)+"/reject", nil)
	bob.ok("GET", "/api/v1/accounts/relationships?id[]="+idOf(g.ID), nil)
	var rels []struct{ Following, Requested bool }
	bob.get("/api/v1/accounts/relationships?id[]="+idOf(g.ID), &rels)
	if len(rels) != 1 || !rels[0].Following {
		t.Fatalf("bob after approval: %+v", rels)
	}
	carol.get("/api/v1/accounts/relationships?id[]="+idOf(g.ID), &rels)
	if len(rels) != 1 || rels[0].Following || rels[0].Requested {
		t.Fatalf("carol after rejection: %+v", rels)
	}
	alice.get("/api/v1/follow_requests", &reqs)
	if len(reqs) != 0 {
		t.Fatalf("requests left: %+v", reqs)
	}
	alice.want(http.StatusNotFound, "POST", "/api/v1/follow_requests/"+idOf(bob.user.ID)+"/authorize", nil)
}

// TestMastoGuestModeratorDecides: a guest who moderates a closed group (a freelancer
// running it) sees and decides its join requests, though they may not otherwise know
// the people asking.
func TestMastoGuestModeratorDecides(t *testing.T) {
	m, base := boot(t)
	alice := member(t, m, base, "alice", ruche.RoleMember)
	gina := member(t, m, base, "gina", ruche.RoleGuest)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	groups := &ruche.Groups{Store: m.db.store}
	ctx := context.Background()
	g, err := groups.Create(ctx, alice.user, "studio", ruche.GroupFields{Name: "Studio", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	if err := groups.Invite(ctx, alice.user, "studio", "gina"); err != nil {
		t.Fatal(err)
	}
	gina.ok("POST", "/api/v1/accounts/"+idOf(g.ID)+"/follow", nil) // accepts the invitation
	if err := groups.SetRole(ctx, alice.user, "studio", "gina", ruche.GroupModerator); err != nil {
		t.Fatal(err)
	}
	bob.ok("POST", "/api/v1/accounts/"+idOf(g.ID)+"/follow", nil)
	var reqs []struct{ ID, Username string }
	gina.get("/api/v1/follow_requests", &reqs)
	if len(reqs) != 1 || reqs[0].Username != "bob" {
		t.Fatalf("guest moderator's requests = %+v", reqs)
	}
	gina.ok("POST", "/api/v1/follow_requests/"+idOf(bob.user.ID)+"/authorize", nil)
	var rels []struct{ Following bool }
	bob.get("/api/v1/accounts/relationships?id[]="+idOf(g.ID), &rels)
	if len(rels) != 1 || !rels[0].Following {
		t.Fatalf("bob after the guest moderator approved: %+v", rels)
	}
	// Outside the group, bob stays unknown to her.
	gina.want(http.StatusNotFound, "GET", "/api/v1/accounts/"+idOf(bob.user.ID), nil)
}
