package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// Joining a shared group from a partner (the group's side): hub, played by a fake
// server, sends zoe's Follow; an open group accepts at once, a closed one waits for a
// moderator, who approves or later removes her; an Undo is leaving. Every answer is
// signed by the group and goes to hub only.
func TestFederationJoinSharedGroup(t *testing.T) {
	ctx := context.Background()
	acme, a := fedNode(t, "acme", "", "")
	hub := newFakeServer(t, "hub")
	zoe := hub.putActor(t, "/users/zoe", activitypub.TypePerson, newKey(t))
	zoeIRI := hub.base + "/users/zoe"
	partner(t, acme, hub.base)

	accounts := &ruche.Accounts{Store: acme.db.store}
	ana, err := accounts.CreateUser(ctx, nil, ruche.NewUser{Username: "ana", Email: "ana@example.com", Password: "a long password", Role: ruche.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	groups := &ruche.Groups{Store: acme.db.store, Shares: acme.db.store, Remote: acme.fed}
	mkGroup := func(handle string, kind ruche.GroupKind, shared bool) ruche.Group {
		g, err := groups.Create(ctx, ana, handle, ruche.GroupFields{Name: handle, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		if shared {
			if err := acme.db.store.ShareGroup(ctx, 0, g.ID, hostOf(hub.base)); err != nil {
				t.Fatal(err)
			}
		}
		return g
	}
	design, lounge, private := mkGroup("design", ruche.GroupClosed, true), mkGroup("lounge", ruche.GroupOpen, true), mkGroup("private", ruche.GroupOpen, false)

	seq := 0
	// followTo sends zoe's Follow of g to inbox and returns its id and the answer.
	followTo := func(g ruche.Group, inbox string) (string, int) {
		seq++
		id := hub.base + "/follows/" + string(rune('a'+seq))
		body, _ := json.Marshal(map[string]any{"@context": activitypub.ActivityStreamsNS, "id": id, "type": "Follow",
			"actor": zoeIRI, "object": acme.fed.GroupIRI(g.ID)})
		return id, send(t, signedPost(t, zoe, inbox, body))
	}
	follow := func(g ruche.Group) string {
		id, got := followTo(g, acme.fed.GroupIRI(g.ID)+"/inbox")
		if got != 202 {
			t.Fatalf("Follow of %s: %d", g.Handle, got)
		}
		return id
	}
	state := func(g ruche.Group) string {
		var s string
		acme.db.store.Pool().QueryRow(ctx, `SELECT m.state FROM group_members m JOIN accounts a ON a.id = m.account_id
			WHERE m.group_id = $1 AND a.ap_id = $2`, g.ID, zoeIRI).Scan(&s)
		return s
	}
	// answers waits for hub to have received n POSTs and returns them decoded.
	answers := func(n int) []*activitypub.Object {
		t.Helper()
		eventually(t, 20*time.Second, "hub did not receive the group's answer", func() bool { return len(hub.received()) >= n })
		var out []*activitypub.Object
		for _, b := range hub.received() {
			o, err := activitypub.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, o)
		}
		return out
	}
	processed := func() {
		t.Helper()
		eventually(t, 20*time.Second, "acme did not process the activities", func() bool {
			return count(t, acme, `SELECT count(*) FROM incoming_activities WHERE processed_at IS NULL`) == 0
		})
	}

	// An open group: member at once, and an Accept of that very Follow, signed by the group.
	f1 := follow(lounge)
	got := answers(1)
	if len(got) != 1 || got[0].Type != activitypub.TypeAccept || got[0].Actor.IRI != acme.fed.GroupIRI(lounge.ID) ||
		got[0].Object.Object == nil || got[0].Object.Object.ID != f1 || state(lounge) != "member" {
		t.Fatalf("open group: state %q, answers %+v", state(lounge), got)
	}

	// A group not shared with hub: its inbox is not found, and through the shared inbox
	// the Follow changes nothing and is not answered.
	if _, got := followTo(private, acme.fed.GroupIRI(private.ID)+"/inbox"); got != 404 {
		t.Errorf("Follow at an unshared group's inbox: %d, want 404", got)
	}
	followTo(private, a+"/inbox")
	processed()
	if s := state(private); s != "" {
		t.Errorf("a Follow of an unshared group made zoe %q", s)
	}

	// A closed group: a request, which ana (its owner) is told of, then approves.
	f2 := follow(design)
	processed()
	if s := state(design); s != "requested" {
		t.Fatalf("closed group: zoe is %q, want requested", s)
	}
	if n := count(t, acme, `SELECT count(*) FROM notifications WHERE account_id = $1 AND kind = 'group_request'`, ana.ID); n != 1 {
		t.Errorf("ana has %d join requests to decide, want 1", n)
	}
	if len(hub.received()) != 1 {
		t.Errorf("a request was answered before a moderator decided")
	}
	if err := groups.Approve(ctx, ana, "design", "zoe@"+hostOf(hub.base)); err != nil {
		t.Fatalf("approve zoe: %v", err)
	}
	got = answers(2)
	if got[1].Type != activitypub.TypeAccept || got[1].Object.Object.ID != f2 || state(design) != "member" {
		t.Fatalf("after approval: state %q, answer %+v", state(design), got[1])
	}

	// Removed by a moderator: a Reject of her Follow and a Remove from the members
	// collection (in either order), and she is out.
	if err := groups.Remove(ctx, ana, "design", "zoe@"+hostOf(hub.base)); err != nil {
		t.Fatalf("remove zoe: %v", err)
	}
	got = answers(4)
	var rejected, removed bool
	for _, a := range got[2:] {
		switch a.Type {
		case activitypub.TypeReject:
			rejected = a.Object.Object != nil && a.Object.Object.ID == f2
		case activitypub.TypeRemove:
			removed = a.Object.IRI == zoeIRI && a.Target.IRI == acme.fed.GroupIRI(design.ID)+"/members"
		}
	}
	if !rejected || !removed || state(design) != "" {
		t.Errorf("after removal: state %q, Reject %v, Remove %v", state(design), rejected, removed)
	}

	// Leaving the open group: Undo of the Follow.
	undo, _ := json.Marshal(map[string]any{"@context": activitypub.ActivityStreamsNS, "id": hub.base + "/undo/1", "type": "Undo",
		"actor": zoeIRI, "object": map[string]any{"id": f1, "type": "Follow", "actor": zoeIRI, "object": acme.fed.GroupIRI(lounge.ID)}})
	if got := send(t, signedPost(t, zoe, a+"/inbox", undo)); got != 202 {
		t.Fatalf("Undo: %d", got)
	}
	processed()
	if s := state(lounge); s != "" {
		t.Errorf("after Undo, zoe is %q in the open group", s)
	}
	for _, b := range hub.received() {
		if !strings.Contains(string(b), hub.base) {
			t.Errorf("an answer not about hub's member went to hub: %s", b)
		}
	}
}
