package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// The member's side, with two real instances: zoe, on hub, finds acme's shared closed
// group design by its handle, asks to join; an acme moderator approves, and zoe is a
// member on both sides; she leaves, and acme lets her go. An unshared group of acme
// cannot be found from hub.
func TestFederationJoinFromPartner(t *testing.T) {
	ctx := context.Background()
	acme, hub := newFedSite(t, "acme"), newFedSite(t, "hub")
	partner(t, acme.m, hub.base)
	partner(t, hub.m, acme.base)
	a, h := acme.base, hub.base
	ana, zoe := acme.user(t, "ana"), hub.user(t, "zoe")
	acmeGroups, hubGroups := acme.groups, hub.groups
	design, err := acmeGroups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Description: "Freelance designers", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acmeGroups.Create(ctx, ana, "private", ruche.GroupFields{Name: "Private", Kind: ruche.GroupOpen}); err != nil {
		t.Fatal(err)
	}
	if err := acme.m.db.store.ShareGroup(ctx, 0, design.ID, hostOf(h)); err != nil {
		t.Fatal(err)
	}

	if _, err := hub.m.fed.ResolveGroup(ctx, "@private@"+hostOf(a)); err == nil {
		t.Error("hub found a group acme did not share with it")
	}
	if _, err := hub.m.fed.ResolveGroup(ctx, "@design@"+hostOf(a)); err != nil {
		t.Fatalf("hub resolving design: %v", err)
	}
	handle := "design@" + hostOf(a)
	g, err := hubGroups.Get(ctx, zoe, handle)
	if err != nil || g.Name != "Design" || g.Domain != hostOf(a) || g.Kind != ruche.GroupClosed || g.Description != "Freelance designers" {
		t.Fatalf("design as hub sees it: %+v %v", g, err)
	}
	st, err := hubGroups.Join(ctx, zoe, handle)
	if err != nil || st != ruche.StateRequested {
		t.Fatalf("zoe joins: %v %v", st, err)
	}
	remoteZoe := "zoe@" + hostOf(h)
	eventually(t, 20*time.Second, "acme never recorded zoe's request", func() bool {
		ms, err := acmeGroups.Members(ctx, ana, "design", ruche.StateRequested)
		return err == nil && len(ms) == 1 && ms[0].Handle() == remoteZoe
	})
	if err := acmeGroups.Approve(ctx, ana, "design", remoteZoe); err != nil {
		t.Fatalf("ana approves: %v", err)
	}
	eventually(t, 20*time.Second, "zoe never became a member on hub", func() bool {
		g, err := hubGroups.Get(ctx, zoe, handle)
		return err == nil && g.ViewerState == ruche.StateMember
	})

	// She leaves: acme drops her.
	if err := hubGroups.Leave(ctx, zoe, handle); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "acme kept zoe after she left", func() bool {
		ms, err := acmeGroups.Members(ctx, ana, "design", ruche.StateMember)
		return err == nil && len(ms) == 1 && ms[0].Username == "ana"
	})

	// She asks again and is let in; then acme stops sharing design with hub: acme lets
	// her go, and hub drops the group and all of it.
	if _, err := hubGroups.Join(ctx, zoe, handle); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "acme never recorded zoe's second request", func() bool {
		ms, err := acmeGroups.Members(ctx, ana, "design", ruche.StateRequested)
		return err == nil && len(ms) == 1
	})
	if err := acmeGroups.Approve(ctx, ana, "design", remoteZoe); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "zoe never became a member again", func() bool {
		g, err := hubGroups.Get(ctx, zoe, handle)
		return err == nil && g.ViewerState == ruche.StateMember
	})
	if err := acmeGroups.Unshare(ctx, nil, "design", hostOf(h)); err != nil {
		t.Fatal(err)
	}
	if ms, _ := acmeGroups.Members(ctx, ana, "design", ruche.StateMember); len(ms) != 1 {
		t.Errorf("after unsharing, design still has %d members", len(ms))
	}
	eventually(t, 20*time.Second, "hub kept the group after acme unshared it", func() bool {
		_, err := hubGroups.Get(ctx, zoe, handle)
		return errors.Is(err, ruche.ErrNotFound)
	})
	if n := count(t, hub.m, `SELECT count(*) FROM accounts WHERE domain = $1 AND kind = 'group'`, hostOf(a)); n != 0 {
		t.Errorf("hub holds %d groups of acme after the unsharing", n)
	}
}
