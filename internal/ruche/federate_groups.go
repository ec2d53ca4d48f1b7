package ruche

import (
	"context"
	"errors"
	"html"
	"strconv"
	"strings"

	"github.com/ruche-hive/ruche/activitypub"
)

// A shared group on the wire (FEP-1b12): a Group actor at /ap/groups/<id>, with a key,
// an inbox and a members collection, and the members taking part as Person actors at
// /ap/users/<id>. Ids, not handles, name them: partners keep an actor's id for good.
// Each document is served to a partner only when the gate (Reveal) says so.

const (
	groupPath   = "/ap/groups/"
	userPath    = "/ap/users/"
	postPath    = "/ap/posts/"
	apMediaPath = "/ap/media/"
)

// GroupIRI is the actor id of a local group.
func (f *Federation) GroupIRI(id int64) string {
	return f.BaseURL + groupPath + strconv.FormatInt(id, 10)
}

// UserIRI is the actor id of a local member.
func (f *Federation) UserIRI(id int64) string {
	return f.BaseURL + userPath + strconv.FormatInt(id, 10)
}

// GroupActor returns a local group's actor as actor-key name ("group:<id>").
func GroupActor(id int64) LocalActor { return LocalActor("group:" + strconv.FormatInt(id, 10)) }

// UserActor returns a local member's actor-key name ("user:<id>").
func UserActor(id int64) LocalActor { return LocalActor("user:" + strconv.FormatInt(id, 10)) }

// localObject is what a local IRI names: a kind ("group", "group-members", "user",
// "post", "media", "instance", "instance-outbox") and an id.
type localObject struct {
	kind string
	id   int64
}

// parseLocal reads a local IRI; ok is false for anything Ruche does not federate.
func (f *Federation) parseLocal(iri string) (localObject, bool) {
	switch iri {
	case f.InstanceActorIRI():
		return localObject{kind: "instance"}, true
	case f.InstanceActorIRI() + "/outbox":
		return localObject{kind: "instance-outbox"}, true
	}
	rest, ok := strings.CutPrefix(iri, f.BaseURL)
	if !ok {
		return localObject{}, false
	}
	for _, p := range []struct{ prefix, kind string }{{groupPath, "group"}, {userPath, "user"}, {postPath, "post"}, {apMediaPath, "media"}} {
		tail, ok := strings.CutPrefix(rest, p.prefix)
		if !ok {
			continue
		}
		idText, sub, _ := strings.Cut(tail, "/")
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || id <= 0 || strconv.FormatInt(id, 10) != idText {
			return localObject{}, false
		}
		switch {
		case sub == "":
			return localObject{kind: p.kind, id: id}, true
		case p.kind == "group" && sub == "members":
			return localObject{kind: "group-members", id: id}, true
		}
		return localObject{}, false
	}
	return localObject{}, false
}

// GroupDocument is a shared group's actor document, for a partner it is shared with.
func (f *Federation) GroupDocument(ctx context.Context, peer Peer, id int64) (*activitypub.Object, error) {
	iri := f.GroupIRI(id)
	if err := f.Reveal(ctx, peer, iri); err != nil {
		return nil, err
	}
	g, err := f.Shares.FederatedGroup(ctx, id, peer.Partner.Domain)
	if err != nil {
		return nil, err
	}
	k, err := f.actorKey(ctx, GroupActor(id))
	if err != nil {
		return nil, err
	}
	return &activitypub.Object{
		ID: iri, Type: activitypub.TypeGroup,
		PreferredUsername: g.Handle, Name: g.Name, Summary: textToHTML(g.Description),
		Inbox: iri + "/inbox", Followers: iri + "/members", SharedInbox: f.SharedInbox(),
		ManuallyApprovesFollowers: activitypub.Bool(g.Kind != GroupOpen), Discoverable: activitypub.Bool(false),
		Published: g.CreatedAt.UTC(),
		PublicKey: &activitypub.PublicKey{ID: iri + "#main-key", Owner: iri, PublicKeyPem: k.PublicPEM},
	}, nil
}

// GroupMembers is a shared group's members collection, for a partner that has members
// in it: the actor ids of its members (local members' and, later, remote ones').
func (f *Federation) GroupMembers(ctx context.Context, peer Peer, id int64) (*activitypub.Object, error) {
	iri := f.GroupIRI(id) + "/members"
	if err := f.Reveal(ctx, peer, iri); err != nil {
		return nil, err
	}
	local, remote, err := f.Store.GroupMemberIRIs(ctx, id)
	if err != nil {
		return nil, err
	}
	c := &activitypub.Object{ID: iri, Type: activitypub.TypeOrderedCollection, TotalItems: activitypub.Int(len(local) + len(remote))}
	for _, m := range local {
		c.OrderedItems = append(c.OrderedItems, activitypub.IRI(f.UserIRI(m)))
	}
	for _, m := range remote {
		c.OrderedItems = append(c.OrderedItems, activitypub.IRI(m))
	}
	return c, nil
}

// UserDocument is a member's actor document, for a partner one of whose shared groups
// the member is in: the name and key only, what a post's author needs.
func (f *Federation) UserDocument(ctx context.Context, peer Peer, id int64) (*activitypub.Object, error) {
	iri := f.UserIRI(id)
	if err := f.Reveal(ctx, peer, iri); err != nil {
		return nil, err
	}
	u, err := f.Store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	k, err := f.actorKey(ctx, UserActor(id))
	if err != nil {
		return nil, err
	}
	return &activitypub.Object{
		ID: iri, Type: activitypub.TypePerson, PreferredUsername: u.Username, Name: u.DisplayName,
		Inbox: iri + "/inbox", SharedInbox: f.SharedInbox(), Discoverable: activitypub.Bool(false),
		ManuallyApprovesFollowers: activitypub.Bool(true),
		PublicKey:                 &activitypub.PublicKey{ID: iri + "#main-key", Owner: iri, PublicKeyPem: k.PublicPEM},
	}, nil
}

// webFingerLocal finds a group or member by handle for a partner: only what the gate
// reveals to it.
func (f *Federation) webFingerLocal(ctx context.Context, peer *Peer, a activitypub.Acct) (handle, iri string, err error) {
	if peer == nil {
		return "", "", ErrNotFound
	}
	if g, err := f.Shares.FederatedGroupByHandle(ctx, a.User, peer.Partner.Domain); err == nil {
		iri := f.GroupIRI(g.ID)
		return g.Handle, iri, f.Reveal(ctx, *peer, iri)
	} else if !errors.Is(err, ErrNotFound) {
		return "", "", err
	}
	return "", "", ErrNotFound // members are found through their groups' members collections
}

// textToHTML turns plain text (a group's description) into the HTML that AS2's summary
// holds.
func textToHTML(s string) string {
	if s == "" {
		return ""
	}
	return "<p>" + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") + "</p>"
}
