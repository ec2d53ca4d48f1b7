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
