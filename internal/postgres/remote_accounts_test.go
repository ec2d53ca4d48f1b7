package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// remoteAccount inserts the account of someone on a partner instance, as federation
// does when they first ask to join a shared group.
func remoteAccount(t *testing.T, s *postgres.Store, username, domain string) int64 {
	t.Helper()
	var id int64
	if err := s.Pool().QueryRow(context.Background(), `INSERT INTO accounts (username, domain, ap_id, display_name)
		VALUES ($1, $2, $3, $4) RETURNING id`, username, domain, "https://"+domain+"/users/"+username, "Remote "+username).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRemoteAccountsByHandle: "zoe" names the local zoe and "zoe@hub.example" the
// partner's, whatever the case, never the other; a partner's account is known only to
// those who share a group with it (members know members, those who run the group know
// who asks to join), and comes with its domain wherever it is shown.
func TestRemoteAccountsByHandle(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	olga := user(t, s, "olga", ruche.RoleMember)
	nina := user(t, s, "nina", ruche.RoleMember)
	mia := user(t, s, "mia", ruche.RoleMember)
	ana := user(t, s, "ana", ruche.RoleAdmin)
	gus := user(t, s, "gus", ruche.RoleGuest)
	zoe := user(t, s, "zoe", ruche.RoleMember)
	rzoe := remoteAccount(t, s, "zoe", "hub.example")
	rmax := remoteAccount(t, s, "Max", "hub.example:8443")
	design, err := s.CreateGroup(ctx, olga.ID, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []ruche.User{nina, gus} {
		if err := s.SetMembership(ctx, design, u.ID, ruche.StateMember, ruche.GroupMember, "", 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetMembership(ctx, design, gus.ID, ruche.StateMember, ruche.GroupModerator, "", 0); err != nil {
		t.Fatal(err)
	}

	find := func(v ruche.User, handle string) (int64, error) {
		t.Helper()
		a, err := s.AccountByUsername(ctx, ruche.ViewerOf(v), handle)
		if err != nil && !errors.Is(err, ruche.ErrNotFound) {
			t.Fatalf("%s finds %q: %v", v.Username, handle, err)
		}
		return a.ID, err
	}
	check := func(stage string, v ruche.User, handle string, want int64) {
		t.Helper()
		if got, _ := find(v, handle); got != want {
			t.Errorf("%s: %s finds %q = %d, want %d (local zoe %d, remote zoe %d, remote max %d)",
				stage, v.Username, handle, got, want, zoe.ID, rzoe, rmax)
		}
	}

	// Before they stand anywhere, nobody knows the partner's people; the local zoe is
	// found as ever, by every form of her name, and never by a partner's.
	for _, v := range []ruche.User{olga, ana, nina} {
		check("no standing", v, "zoe@hub.example", 0)
		check("no standing", v, "zoe", zoe.ID)
	}
	check("no standing", olga, "@ZOE", zoe.ID)
	for _, h := range []string{"zoe@", "@", "", "zoe@hub.example@x", "zoe@elsewhere.example", "max@hub.example"} {
		check("malformed or unknown", ana, h, 0)
	}

	// Zoe asks to join: those who run the group know her (its owner, a guest who
	// moderates it, company admins); a plain member does not yet.
	if err := s.SetMembership(ctx, design, rzoe, ruche.StateRequested, ruche.GroupMember, ruche.NotifyGroupRequest, rzoe); err != nil {
		t.Fatal(err)
	}
	for _, v := range []ruche.User{olga, gus, ana} {
		check("requested", v, "zoe@hub.example", rzoe)
		check("requested", v, "@Zoe@HUB.example", rzoe)
		check("requested", v, "zoe", map[bool]int64{true: 0, false: zoe.ID}[v.Role == ruche.RoleGuest])
	}
	check("requested", nina, "zoe@hub.example", 0)
	reqs, err := s.Members(ctx, design, ruche.StateRequested)
	if err != nil || len(reqs) != 1 || reqs[0].ID != rzoe || reqs[0].Domain != "hub.example" || reqs[0].Handle() != "zoe@hub.example" {
		t.Fatalf("requests = %+v, %v; want the remote zoe with her domain", reqs, err)
	}
	ns, err := s.Notifications(ctx, ruche.ViewerOf(olga), ruche.Page{Limit: 10})
	if err != nil || len(ns) != 1 || ns[0].From.ID != rzoe || ns[0].From.Handle() != "zoe@hub.example" {
		t.Fatalf("olga's notifications = %+v, %v; want zoe@hub.example's request", ns, err)
	}

	// A member: the group's members know her; others in the company do not.
	if err := s.SetMembership(ctx, design, rzoe, ruche.StateMember, ruche.GroupMember, "", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMembership(ctx, design, rmax, ruche.StateMember, ruche.GroupMember, "", 0); err != nil {
		t.Fatal(err)
	}
	check("member", nina, "zoe@hub.example", rzoe)
	check("member", nina, "max@HUB.example:8443", rmax)
	check("member", nina, "max@hub.example", 0)
	check("member", mia, "zoe@hub.example", 0)
	members, err := s.Members(ctx, design, ruche.StateMember)
	if err != nil {
		t.Fatal(err)
	}
	var handles []string
	for _, m := range members {
		handles = append(handles, m.Handle())
	}
	if want := []string{"olga", "gus", "Max@hub.example:8443", "nina", "zoe@hub.example"}; !slices.Equal(handles, want) {
		t.Errorf("members = %q, want %q", handles, want)
	}

	// Her post in the group carries her domain, from SQL and from the read model.
	if _, err := s.CreatePost(ctx, ruche.PostDraft{AuthorID: rzoe, Visibility: ruche.VisGroup, GroupID: design, Source: "hi", HTML: "<p>hi</p>"}); err != nil {
		t.Fatal(err)
	}
	stream, err := s.Timeline(ctx, ruche.ViewerOf(nina), ruche.Stream{Kind: ruche.StreamGroup, AccountID: design}, ruche.Page{Limit: 5})
	if err != nil || len(stream) != 1 || stream[0].Author.Handle() != "zoe@hub.example" {
		t.Fatalf("group stream = %+v, %v; want zoe@hub.example's post", stream, err)
	}
	twin := cachedTwin(t, &world{store: s})
	before := twin.CacheStats()
	for range 2 { // the first read fills the model, the second is served from it
		home, err := twin.Timeline(ctx, ruche.ViewerOf(nina), ruche.Stream{Kind: ruche.StreamHome}, ruche.Page{Limit: 5})
		if err != nil || len(home) != 1 || home[0].Author.Handle() != "zoe@hub.example" {
			t.Fatalf("nina's home = %+v, %v; want zoe@hub.example's post", home, err)
		}
	}
	if after := twin.CacheStats(); after[0] == before[0] {
		t.Errorf("nina's home was never served from memory: %v then %v", before, after)
	}
}
