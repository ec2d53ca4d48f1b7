package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// A shared group on the wire: acme shares its closed group design with hub. hub finds
// the group by WebFinger and reads its actor; the members taking part can be read by
// hub; globex, acme's partner too but not shared with, finds nothing; nor does anyone
// find a secret group or a member outside shared groups.
func TestFederationSharedGroupOnTheWire(t *testing.T) {
	ctx := context.Background()
	acme, a := fedNode(t, "acme", "", "")
	hub, h := fedNode(t, "hub", "", "")
	globex, g := fedNode(t, "globex", "", "")
	partner(t, acme, h)
	partner(t, acme, g)
	partner(t, hub, a)
	partner(t, globex, a)

	accounts := &ruche.Accounts{Store: acme.db.store}
	mk := func(name string) ruche.User {
		u, err := accounts.CreateUser(ctx, nil, ruche.NewUser{Username: name, Email: name + "@example.com",
			DisplayName: strings.ToUpper(name[:1]) + name[1:], Password: "a long password", Role: ruche.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ana, bob := mk("ana"), mk("bob")
	groups := &ruche.Groups{Store: acme.db.store}
	design, err := groups.Create(ctx, ana, "design", ruche.GroupFields{Name: "Design", Description: "Freelance designers\nand us", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := groups.Create(ctx, bob, "ops", ruche.GroupFields{Name: "Ops", Kind: ruche.GroupSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.db.store.ShareGroup(ctx, 0, design.ID, hostOf(h)); err != nil {
		t.Fatal(err)
	}
	// A secret group in the shares table (as no code path allows) is still not revealed.
	if _, err := acme.db.store.Pool().Exec(ctx, `INSERT INTO group_shares (group_id, domain) VALUES ($1, $2)`, ops.ID, hostOf(h)); err != nil {
		t.Fatal(err)
	}
	groupIRI := acme.fed.GroupIRI(design.ID)

	// hub finds design by its handle, and reads its actor.
	jrd, err := hub.fed.Fetch(ctx, a+"/.well-known/webfinger?resource=acct:design@"+hostOf(a))
	if err != nil || !strings.Contains(string(jrd), groupIRI) {
		t.Fatalf("hub's WebFinger of design: %v %s", err, jrd)
	}
	body, err := hub.fed.Fetch(ctx, groupIRI)
	if err != nil {
		t.Fatalf("hub's GET of the group: %v", err)
	}
	o, err := activitypub.Decode(body)
	if err != nil || o.Type != activitypub.TypeGroup || o.PreferredUsername != "design" || o.ManuallyApprovesFollowers == nil ||
		!*o.ManuallyApprovesFollowers || o.PublicKey == nil || o.PublicKey.Owner != groupIRI || o.Inbox != groupIRI+"/inbox" {
		t.Errorf("the group's actor: %v %s", err, body)
	}
	for what, iri := range map[string]string{
		"a member, before hub has anyone in it":  acme.fed.UserIRI(ana.ID),
		"a member outside shared groups":         acme.fed.UserIRI(bob.ID),
		"a secret group":                         acme.fed.GroupIRI(ops.ID),
		"the members, with no member of hub yet": groupIRI + "/members",
		"a group that does not exist":            acme.fed.GroupIRI(1),
	} {
		if _, err := hub.fed.Fetch(ctx, iri); statusOf(err) != 404 {
			t.Errorf("hub's GET of %s: %v, want 404", what, err)
		}
	}
	for _, res := range []string{"acct:ops@" + hostOf(a), "acct:ana@" + hostOf(a), "acct:bob@" + hostOf(a)} {
		if _, err := hub.fed.Fetch(ctx, a+"/.well-known/webfinger?resource="+res); statusOf(err) != 404 {
			t.Errorf("hub's WebFinger of %s: %v, want 404", res, err)
		}
	}

	// globex is acme's partner, but design is not shared with it.
	for _, iri := range []string{groupIRI, groupIRI + "/members", acme.fed.UserIRI(ana.ID), a + "/.well-known/webfinger?resource=acct:design@" + hostOf(a)} {
		if _, err := globex.fed.Fetch(ctx, iri); statusOf(err) != 404 {
			t.Errorf("globex's GET of %s: %v, want 404", iri, err)
		}
	}
	// Nobody unsigned.
	if status, _ := rawGet(t, groupIRI, activitypub.ContentType); status != 401 {
		t.Errorf("unsigned GET of the group: %d, want 401", status)
	}
	if status, _ := rawGet(t, a+"/.well-known/webfinger?resource=acct:design@"+hostOf(a), ""); status != 404 {
		t.Errorf("unsigned WebFinger of the group: %d, want 404", status)
	}

	// Once someone of hub is a member (here written directly; joining over the wire
	// comes with Follow), hub may read the members collection, which names them all.
	var zoe int64
	if err := acme.db.store.Pool().QueryRow(ctx, `INSERT INTO accounts (username, domain, ap_id) VALUES ('zoe', $1, $2) RETURNING id`,
		hostOf(h), h+"/ap/users/7").Scan(&zoe); err != nil {
		t.Fatal(err)
	}
	if _, err := acme.db.store.Pool().Exec(ctx, `INSERT INTO group_members (group_id, account_id, state) VALUES ($1, $2, 'member')`, design.ID, zoe); err != nil {
		t.Fatal(err)
	}
	var members struct {
		TotalItems   int      `json:"totalItems"`
		OrderedItems []string `json:"orderedItems"`
	}
	// Authors of the group are now readable by hub; bob still is not, and a suspended
	// member is named nowhere.
	if body, err := hub.fed.Fetch(ctx, acme.fed.UserIRI(ana.ID)); err != nil || !strings.Contains(string(body), `"Person"`) {
		t.Errorf("hub's GET of a member of the shared group: %v %s", err, body)
	}
	if _, err := hub.fed.Fetch(ctx, acme.fed.UserIRI(bob.ID)); statusOf(err) != 404 {
		t.Errorf("hub's GET of bob: %v, want 404", err)
	}
	cy, err := accounts.CreateUser(ctx, nil, ruche.NewUser{Username: "cy", Email: "cy@example.com", Password: "a long password", Role: ruche.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acme.db.store.Pool().Exec(ctx, `INSERT INTO group_members (group_id, account_id, state) VALUES ($1, $2, 'member')`, design.ID, cy.ID); err != nil {
		t.Fatal(err)
	}
	mkAdmin := mk("root")
	if _, err := acme.db.store.Pool().Exec(ctx, `UPDATE users SET role = 'admin' WHERE account_id = $1`, mkAdmin.ID); err != nil {
		t.Fatal(err)
	}
	if err := accounts.SetSuspended(ctx, nil, "cy", true); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.fed.Fetch(ctx, acme.fed.UserIRI(cy.ID)); statusOf(err) != 404 {
		t.Errorf("hub's GET of a suspended member: %v, want 404", err)
	}
	body, err = hub.fed.Fetch(ctx, groupIRI+"/members")
	if err != nil || json.Unmarshal(body, &members) != nil || members.TotalItems != 2 || strings.Contains(string(body), acme.fed.UserIRI(cy.ID)) ||
		!strings.Contains(string(body), acme.fed.UserIRI(ana.ID)) || !strings.Contains(string(body), h+"/ap/users/7") {
		t.Errorf("hub's GET of the members: %v %s", err, body)
	}
	if _, err := globex.fed.Fetch(ctx, groupIRI+"/members"); statusOf(err) != 404 {
		t.Errorf("globex's GET of the members: %v, want 404", err)
	}

	// Unshared: hub finds nothing any more.
	if err := acme.db.store.UnshareGroup(ctx, 0, design.ID, hostOf(h)); err != nil {
		t.Fatal(err)
	}
	for _, iri := range []string{groupIRI, groupIRI + "/members", acme.fed.UserIRI(ana.ID)} {
		if _, err := hub.fed.Fetch(ctx, iri); statusOf(err) != 404 {
			t.Errorf("after unsharing, hub's GET of %s: %v, want 404", iri, err)
		}
	}
}
