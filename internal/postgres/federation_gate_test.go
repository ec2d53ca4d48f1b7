package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestGateClearsOnlyTheInstanceActor walks every kind of local object through the
// federation gate: posts of every visibility, members, groups of every kind, and the
// instance actor's Update in every disguise. Only the plain Update of the instance
// actor, to active partners, leaves; the queue then holds exactly what was cleared.
func TestGateClearsOnlyTheInstanceActor(t *testing.T) {
	ctx := context.Background()
	s, f := federation(t)
	for _, d := range []string{"b.example", "s.example"} {
		if _, err := f.AddPartner(ctx, nil, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.SetPartnerState(ctx, nil, "s.example", ruche.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	to := []string{"b.example"}
	self := fedBase + "/actor"

	refused := func(what string, d ruche.Departure) {
		t.Helper()
		if _, err := f.Clear(ctx, d); !errors.Is(err, ruche.ErrNotFederated) {
			t.Errorf("%s: %v, want ErrNotFederated", what, err)
		}
	}

	// Every kind of local thing, carried by the instance actor's own valid Update: the
	// activity is fine, what it is about is not federated.
	var things []any
	for _, v := range []ruche.Visibility{ruche.VisCompany, ruche.VisQuiet, ruche.VisFollowers, ruche.VisDirect, ruche.VisGroup} {
		things = append(things, ruche.Post{ID: 1, Visibility: v, HTML: "<p>company only</p>"})
	}
	for _, k := range []ruche.GroupKind{ruche.GroupOpen, ruche.GroupClosed, ruche.GroupSecret} {
		things = append(things, ruche.Group{ID: 1, Kind: k})
	}
	things = append(things, ruche.User{ID: 1, Username: "ana"}, &ruche.User{ID: 2})
	for _, thing := range things {
		refused("about a local thing", ruche.Departure{Actor: ruche.InstanceActor, Activity: instanceUpdate(t, f), About: thing, To: to})
	}
	// Other local actors.
	for _, actor := range []ruche.LocalActor{"user:1", "group:1", ""} {
		refused("by "+string(actor), ruche.Departure{Actor: actor, Activity: instanceUpdate(t, f), To: to})
	}

	// The Update itself, altered in every way that could carry something out.
	type change struct {
		name string
		edit func(a *activitypub.Object)
	}
	note := &activitypub.Object{ID: fedBase + "/posts/1", Type: activitypub.TypeNote, Content: "company-only secret"}
	for _, c := range []change{
		{"content on the activity", func(a *activitypub.Object) { a.Content = "company-only secret" }},
		{"addressed to the public", func(a *activitypub.Object) { a.To = []string{activitypub.Public} }},
		{"with cc", func(a *activitypub.Object) { a.CC = []string{"https://x.example/users/z"} }},
		{"with bto", func(a *activitypub.Object) { a.BTo = []string{"https://x.example/users/z"} }},
		{"with an attachment", func(a *activitypub.Object) { a.Attachment = activitypub.Refs{activitypub.Embed(note)} }},
		{"with an unknown property", func(a *activitypub.Object) {
			a.Extra = map[string]json.RawMessage{"secret": json.RawMessage(`"company-only"`)}
		}},
		{"an embedded actor that is a member", func(a *activitypub.Object) {
			a.Actor = activitypub.Embed(&activitypub.Object{ID: fedBase + "/users/ana", Type: activitypub.TypePerson, Summary: "bio"})
		}},
		{"an embedded actor with the right id", func(a *activitypub.Object) {
			a.Actor = activitypub.Embed(&activitypub.Object{ID: self, Type: activitypub.TypeApplication, Summary: "secret"})
		}},
		{"the object is a note", func(a *activitypub.Object) { a.Object = activitypub.Embed(note) }},
		{"the object named by IRI only", func(a *activitypub.Object) { a.Object = activitypub.IRI(self) }},
		{"the actor document with a summary", func(a *activitypub.Object) { a.Object.Object.Summary = "company-only secret" }},
		{"the actor document with a follower list", func(a *activitypub.Object) { a.Object.Object.Followers = fedBase + "/users/ana" }},
		{"text in the key", func(a *activitypub.Object) {
			a.Object.Object.PublicKey.PublicKeyPem += "company-only secret"
		}},
		{"a Create", func(a *activitypub.Object) { a.Type = activitypub.TypeCreate }},
		{"a Delete", func(a *activitypub.Object) { a.Type = activitypub.TypeDelete }},
		{"an Announce", func(a *activitypub.Object) { a.Type = activitypub.TypeAnnounce }},
		{"an id elsewhere", func(a *activitypub.Object) { a.ID = "https://x.example/activities/1" }},
		{"no id", func(a *activitypub.Object) { a.ID = "" }},
	} {
		a := instanceUpdate(t, f)
		c.edit(a)
		refused(c.name, ruche.Departure{Actor: ruche.InstanceActor, Activity: a, To: to})
	}
	// Destinations: none, unknown, suspended, or one bad among good ones.
	for _, dest := range [][]string{nil, {"x.example"}, {"s.example"}, {"b.example", "x.example"}} {
		refused("to "+strings.Join(dest, ","), ruche.Departure{Actor: ruche.InstanceActor, Activity: instanceUpdate(t, f), To: dest})
	}
	refused("no activity", ruche.Departure{Actor: ruche.InstanceActor, To: to})

	// The one thing that leaves, and the queue holds it byte for byte even if the
	// caller scribbles on what it was handed.
	o, err := f.Clear(ctx, ruche.Departure{Actor: ruche.InstanceActor, Activity: instanceUpdate(t, f), To: to})
	if err != nil {
		t.Fatalf("the instance actor's Update: %v", err)
	}
	want := string(o.Body())
	copy(o.Body(), `{"type":"Delete"`)
	stored, err := s.QueueActivities(ctx, []ruche.Outbound{o})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(stored[0].Body); got != want {
		t.Errorf("queued %s, cleared %s", got, want)
	}
	if strings.Contains(want, "secret") || strings.Contains(want, activitypub.Public) {
		t.Errorf("the cleared Update carries more than the actor: %s", want)
	}
}

// TestGateClearsGroupAnswers: a shared group may answer the Follow of a partner's
// account, to that partner only, with exactly the Accept or Reject (or a member's
// Remove) it would write: not
// for an account of another instance, not for a group not shared with it, not an
// Accept of someone who is not a member, and with nothing riding along.
func TestGateClearsGroupAnswers(t *testing.T) {
	ctx := context.Background()
	s, f := federation(t)
	for _, d := range []string{"b.example", "c.example"} {
		if _, err := f.AddPartner(ctx, nil, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	owner := user(t, s, "owner", ruche.RoleMember)
	groups := &ruche.Groups{Store: s, Shares: s}
	g, err := groups.Create(ctx, owner, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ShareGroup(ctx, 0, g.ID, "b.example"); err != nil {
		t.Fatal(err)
	}
	remote := func(name, host string, state ruche.MembershipState) ruche.RemoteMember {
		a := ruche.RemoteActor{IRI: "https://" + host + "/users/" + name, Host: host, KeyID: "https://" + host + "/users/" + name + "#k",
			PublicPEM: "x", Inbox: "https://" + host + "/users/" + name + "/inbox", SharedInbox: "https://" + host + "/inbox", Document: []byte(`{}`)}
		if err := s.PutRemoteActor(ctx, a); err != nil {
			t.Fatal(err)
		}
		id, err := s.UpsertRemoteAccount(ctx, a, name, name, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetMembership(ctx, g.ID, id, state, ruche.GroupMember, "", id); err != nil {
			t.Fatal(err)
		}
		if err := s.SetFollowID(ctx, g.ID, id, "https://"+host+"/follows/"+name); err != nil {
			t.Fatal(err)
		}
		m, err := s.RemoteMember(ctx, g.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	zoe := remote("zoe", "b.example", ruche.StateMember)
	yan := remote("yan", "b.example", ruche.StateRequested)
	cid := remote("cid", "c.example", ruche.StateMember) // c.example is a partner, but design is not shared with it

	answer := func(m ruche.RemoteMember, typ string) *activitypub.Object {
		group := f.GroupIRI(g.ID)
		return &activitypub.Object{ID: group + "/activities/1", Type: typ, Actor: activitypub.IRI(group), To: []string{m.APID},
			Object: activitypub.Embed(&activitypub.Object{ID: m.FollowID, Type: activitypub.TypeFollow,
				Actor: activitypub.IRI(m.APID), Object: activitypub.IRI(group)})}
	}
	clear := func(m ruche.RemoteMember, a *activitypub.Object, to ...string) error {
		_, err := f.Clear(ctx, ruche.Departure{Actor: ruche.GroupActor(g.ID), Activity: a, About: m, To: to})
		return err
	}
	if err := clear(zoe, answer(zoe, activitypub.TypeAccept), "b.example"); err != nil {
		t.Errorf("the Accept of a member: %v", err)
	}
	if err := clear(yan, answer(yan, activitypub.TypeReject), "b.example"); err != nil {
		t.Errorf("the Reject of a request: %v", err)
	}
	remove := func(m ruche.RemoteMember) *activitypub.Object {
		group := f.GroupIRI(g.ID)
		return &activitypub.Object{ID: group + "/activities/2", Type: activitypub.TypeRemove, Actor: activitypub.IRI(group), To: []string{m.APID},
			Object: activitypub.IRI(m.APID), Target: activitypub.IRI(group + "/members")}
	}
	if err := clear(zoe, remove(zoe), "b.example"); err != nil {
		t.Errorf("the Remove of a member: %v", err)
	}
	forged := zoe
	forged.FollowID = "https://b.example/follows/other"
	for what, err := range map[string]error{
		"an Accept of someone not a member":     clear(yan, answer(yan, activitypub.TypeAccept), "b.example"),
		"to another partner":                    clear(zoe, answer(zoe, activitypub.TypeAccept), "c.example"),
		"to two partners":                       clear(zoe, answer(zoe, activitypub.TypeAccept), "b.example", "c.example"),
		"a member of a partner not shared with": clear(cid, answer(cid, activitypub.TypeAccept), "c.example"),
		"a membership the store does not have":  clear(forged, answer(forged, activitypub.TypeAccept), "b.example"),
		"by another actor": func() error {
			_, err := f.Clear(ctx, ruche.Departure{Actor: ruche.InstanceActor, Activity: answer(zoe, activitypub.TypeAccept), About: zoe, To: []string{"b.example"}})
			return err
		}(),
		"content riding along": clear(zoe, func() *activitypub.Object { a := answer(zoe, activitypub.TypeAccept); a.Content = "secret"; return a }(), "b.example"),
		"addressed to the public": clear(zoe, func() *activitypub.Object {
			a := answer(zoe, activitypub.TypeAccept)
			a.To = append(a.To, activitypub.Public)
			return a
		}(), "b.example"),
		"a Create by the group": clear(zoe, func() *activitypub.Object {
			a := answer(zoe, activitypub.TypeAccept)
			a.Type = activitypub.TypeCreate
			return a
		}(), "b.example"),
		"a Follow object of someone else":  clear(zoe, answer(yan, activitypub.TypeAccept), "b.example"),
		"a Remove of someone not a member": clear(yan, remove(yan), "b.example"),
		"a Remove of someone else":         clear(zoe, remove(yan), "b.example"),
		"a Remove from another collection": clear(zoe, func() *activitypub.Object {
			a := remove(zoe)
			a.Target = activitypub.IRI(f.GroupIRI(g.ID) + "/followers")
			return a
		}(), "b.example"),
		"about something that is not a membership": clear(ruche.RemoteMember{}, answer(zoe, activitypub.TypeAccept), "b.example"),
		"an id outside the instance": clear(zoe, func() *activitypub.Object {
			a := answer(zoe, activitypub.TypeAccept)
			a.ID = "https://b.example/x"
			return a
		}(), "b.example"),
	} {
		if !errors.Is(err, ruche.ErrNotFederated) {
			t.Errorf("%s: %v, want ErrNotFederated", what, err)
		}
	}

	// The group's Delete of itself (sent when it is unshared): to a partner it is shared
	// with, as Ruche writes it, and nothing else.
	del := func(edit func(a *activitypub.Object), to ...string) error {
		group := f.GroupIRI(g.ID)
		a := &activitypub.Object{ID: group + "/activities/d", Type: activitypub.TypeDelete, Actor: activitypub.IRI(group), Object: activitypub.IRI(group)}
		if edit != nil {
			edit(a)
		}
		_, err := f.Clear(ctx, ruche.Departure{Actor: ruche.GroupActor(g.ID), Activity: a, To: to})
		return err
	}
	if err := del(nil, "b.example"); err != nil {
		t.Errorf("the group's Delete of itself: %v", err)
	}
	for what, err := range map[string]error{
		"to a partner not shared with": del(nil, "c.example"),
		"to no one":                    del(nil),
		"of a post":                    del(func(a *activitypub.Object) { a.Object = activitypub.IRI(fedBase + "/ap/posts/1") }, "b.example"),
		"with the group's document": del(func(a *activitypub.Object) {
			a.Object = activitypub.Embed(&activitypub.Object{ID: f.GroupIRI(g.ID), Type: activitypub.TypeGroup, Summary: "secret"})
		}, "b.example"),
		"addressed to the public": del(func(a *activitypub.Object) { a.To = []string{activitypub.Public} }, "b.example"),
	} {
		if !errors.Is(err, ruche.ErrNotFederated) {
			t.Errorf("Delete %s: %v, want ErrNotFederated", what, err)
		}
	}
}
