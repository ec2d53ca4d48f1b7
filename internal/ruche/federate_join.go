package ruche

import (
	"context"
	"errors"
	"strings"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/richtext"
)

// The member's side of a shared group: a member of this instance finds a group hosted
// by a partner (@handle@partner), which then exists here as a group of that domain; joining
// it sends the member's Follow; the group's Accept makes them a member here too, its
// Reject (a refusal, or a removal) ends it; leaving sends an Undo.

// ResolveGroup finds the group acct (handle@domain, with or without a leading @ or
// acct:) at an active partner, through its WebFinger and actor document, both fetched
// signed, and keeps it here. Anything that is not a partner's shared group is not found.
func (f *Federation) ResolveGroup(ctx context.Context, acct string) (int64, error) {
	acct = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(acct), "acct:"), "@")
	a, err := activitypub.ParseAcct("acct:" + strings.ToLower(acct))
	if err != nil {
		return 0, errGroupNotFound
	}
	if err := f.checkPartner(ctx, a.Host); err != nil {
		return 0, errGroupNotFound
	}
	self, err := f.resolveAcct(ctx, a)
	if err != nil {
		return 0, errGroupNotFound
	}
	actor, err := f.fetchActor(ctx, self)
	if err != nil {
		return 0, errGroupNotFound
	}
	doc, err := activitypub.Decode(actor.Document)
	if err != nil || doc.Type != activitypub.TypeGroup {
		return 0, errGroupNotFound
	}
	handle, name := remoteNames(actor, doc)
	if name == "" {
		name = handle
	}
	kind := GroupOpen
	if doc.ManuallyApprovesFollowers == nil || *doc.ManuallyApprovesFollowers {
		kind = GroupClosed
	}
	description := richtext.PlainText(doc.Summary)
	if len([]rune(description)) > 2000 {
		description = string([]rune(description)[:2000])
	}
	return f.Store.UpsertRemoteGroup(ctx, actor, handle, name, description, kind)
}

// FollowRemote sends the member's Follow of a partner's group, once the member's
// request is recorded here. It does nothing for a local group.
func (f *Federation) FollowRemote(ctx context.Context, groupID, userID int64) error {
	return f.sendFollow(ctx, groupID, userID, false)
}

// UnfollowRemote sends the Undo of the member's Follow: they left the group.
func (f *Federation) UnfollowRemote(ctx context.Context, groupID, userID int64) error {
	return f.sendFollow(ctx, groupID, userID, true)
}

func (f *Federation) sendFollow(ctx context.Context, groupID, userID int64, undo bool) error {
	apID, domain, err := f.Store.RemoteGroup(ctx, groupID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	_, followID, err := f.Store.LocalMembership(ctx, groupID, userID)
	if err != nil {
		return err
	}
	if followID == "" {
		if undo {
			return nil // never sent
		}
		followID = f.UserIRI(userID) + "/follows/" + randomHex(12)
		if err := f.Store.SetFollowID(ctx, groupID, userID, followID); err != nil {
			return err
		}
	}
	rf := RemoteGroupFollow{GroupID: groupID, UserID: userID, GroupAPID: apID, Domain: domain, FollowID: followID}
	a := f.followOf(rf)
	if undo {
		a = f.undoOf(rf, f.UserIRI(userID)+"/undo/"+randomHex(12))
	}
	out, err := f.Clear(ctx, Departure{Actor: UserActor(userID), Activity: a, About: rf, To: []string{domain}})
	if err != nil {
		return err
	}
	_, err = f.Store.QueueActivities(ctx, []Outbound{out})
	return err
}

// followOf is a member's Follow of a partner's group.
func (f *Federation) followOf(rf RemoteGroupFollow) *activitypub.Object {
	return &activitypub.Object{ID: rf.FollowID, Type: activitypub.TypeFollow, Actor: activitypub.IRI(f.UserIRI(rf.UserID)),
		Object: activitypub.IRI(rf.GroupAPID), To: []string{rf.GroupAPID}}
}

// undoOf is the Undo of that Follow, with id.
func (f *Federation) undoOf(rf RemoteGroupFollow, id string) *activitypub.Object {
	return &activitypub.Object{ID: id, Type: activitypub.TypeUndo, Actor: activitypub.IRI(f.UserIRI(rf.UserID)),
		Object: activitypub.Embed(f.followOf(rf)), To: []string{rf.GroupAPID}}
}

// clearFollow is the gate's rule for a member's Follow (or its Undo) of a partner's
// group: the group is a partner's, the member is a local, unsuspended account with a
// standing in it here, the activity is exactly the one Ruche writes, and it goes to the
// group's instance only, at the group's inbox.
func (f *Federation) clearFollow(ctx context.Context, d Departure, userID int64) (Outbound, error) {
	about, ok := d.About.(RemoteGroupFollow)
	if !ok || about.UserID != userID || len(d.To) != 1 {
		return Outbound{}, ErrNotFederated
	}
	apID, domain, err := f.Store.RemoteGroup(ctx, about.GroupID)
	if err != nil || apID != about.GroupAPID || domain != about.Domain || NormalizeDomain(d.To[0]) != domain {
		return Outbound{}, ErrNotFederated
	}
	if err := f.checkPartner(ctx, domain); err != nil {
		return Outbound{}, ErrNotFederated
	}
	state, followID, err := f.Store.LocalMembership(ctx, about.GroupID, userID)
	if err != nil || followID != about.FollowID || followID == "" {
		return Outbound{}, ErrNotFederated
	}
	if u, err := f.Store.UserByID(ctx, userID); err != nil || u.SuspendedAt != nil {
		return Outbound{}, ErrNotFederated
	}
	var want *activitypub.Object
	switch d.Activity.Type {
	case activitypub.TypeFollow:
		if state != StateRequested && state != StateMember {
			return Outbound{}, ErrNotFederated
		}
		want = f.followOf(about)
	case activitypub.TypeUndo:
		if !strings.HasPrefix(d.Activity.ID, f.UserIRI(userID)+"/") {
			return Outbound{}, ErrNotFederated
		}
		want = f.undoOf(about, d.Activity.ID)
	default:
		return Outbound{}, ErrNotFederated
	}
	body, err := activitypub.Marshal(d.Activity)
	if err != nil {
		return Outbound{}, err
	}
	wantBody, err := activitypub.Marshal(want)
	if err != nil || string(body) != string(wantBody) {
		return Outbound{}, ErrNotFederated
	}
	group, err := f.Store.RemoteActor(ctx, apID)
	if err != nil {
		return Outbound{}, ErrNotFederated
	}
	inbox := group.SharedInbox
	if inbox == "" {
		inbox = group.Inbox
	}
	return Outbound{cleared: true, actor: d.Actor, iri: d.Activity.ID, body: body, to: []Destination{{Host: domain, Inbox: inbox}}}, nil
}

// followAnswered applies a partner's group's Accept or Reject of a member's Follow.
func (f *Federation) followAnswered(ctx context.Context, in IncomingActivity, answer *activitypub.Object) error {
	follow := answer.Object.Object
	if follow == nil || follow.Type != activitypub.TypeFollow || !activitypub.SameActor(follow.Object.IRI, in.Actor) {
		return nil
	}
	groupID, userID, state, followID, err := f.answeredMember(ctx, in.Actor, follow.Actor.IRI)
	if err != nil || groupID == 0 || follow.ID != "" && follow.ID != followID {
		return err // not what this member asked, or no longer
	}
	if answer.Type == activitypub.TypeAccept {
		if state == StateMember {
			return nil
		}
		return f.Store.SetMembership(ctx, groupID, userID, StateMember, GroupMember, NotifyGroupApproved, groupID)
	}
	return f.Store.RemoveMembership(ctx, groupID, userID)
}

// memberRemoved applies a partner's group's Remove of a member of this instance from
// its members collection: as its Reject, the membership ends here.
func (f *Federation) memberRemoved(ctx context.Context, in IncomingActivity, remove *activitypub.Object) error {
	if remove.Target.IRI != in.Actor+"/members" {
		return nil
	}
	groupID, userID, _, _, err := f.answeredMember(ctx, in.Actor, remove.Object.IRI)
	if err != nil || groupID == 0 {
		return err
	}
	return f.Store.RemoveMembership(ctx, groupID, userID)
}

// answeredMember finds the standing in the partner's group groupIRI of the local
// member userIRI names; groupID is 0 when there is none to change.
func (f *Federation) answeredMember(ctx context.Context, groupIRI, userIRI string) (groupID, userID int64, state MembershipState, followID string, err error) {
	user, ok := f.parseLocal(userIRI)
	if !ok || user.kind != "user" {
		return 0, 0, "", "", nil
	}
	groupID, err = f.Store.GroupByActor(ctx, groupIRI)
	if err != nil {
		return 0, 0, "", "", ignoreNotFound(err)
	}
	state, followID, err = f.Store.LocalMembership(ctx, groupID, user.id)
	if err != nil {
		return 0, 0, "", "", ignoreNotFound(err)
	}
	return groupID, user.id, state, followID, nil
}
