package ruche

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/ruche-hive/ruche/activitypub"
)

// Joining a shared group from a partner instance (FEP-1b12): the person's instance
// sends a Follow to the group; an open group accepts at once, a closed one records a
// request that its moderators decide on (Groups.Approve, Reject), and the group answers
// with Accept or Reject. An Undo of the Follow is leaving. Removal by a moderator is a
// Reject of the Follow, which other servers understand as "no longer a member".

// followGroup applies a received Follow of a local group by a partner's actor.
func (f *Federation) followGroup(ctx context.Context, in IncomingActivity, follow *activitypub.Object) error {
	obj, ok := f.parseLocal(follow.Object.IRI)
	if !ok || obj.kind != "group" {
		return nil // a Follow of anything else: nothing federates it
	}
	g, err := f.Shares.FederatedGroup(ctx, obj.id, in.Host)
	if errors.Is(err, ErrNotFound) {
		return nil // not shared with that partner: as if the group did not exist
	}
	if err != nil {
		return err
	}
	actor, err := f.fetchActor(ctx, in.Actor)
	if err != nil {
		return err
	}
	if actor.Host != in.Host {
		return nil
	}
	doc, _ := activitypub.Decode(actor.Document)
	username, name := remoteNames(actor, doc)
	accountID, err := f.Store.UpsertRemoteAccount(ctx, actor, username, name, true)
	if err != nil {
		return err
	}
	current, err := f.Store.RemoteMember(ctx, g.ID, accountID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	// The Follow is recorded first: from the moment the request can be seen, its answer
	// can name it.
	if err := f.Store.SetFollowID(ctx, g.ID, accountID, follow.ID); err != nil {
		return err
	}
	switch {
	case current.State == StateMember:
		// Already in (a repeated Follow): say so again.
	case g.Kind == GroupOpen || current.State == StateInvited:
		if err := f.Store.SetMembership(ctx, g.ID, accountID, StateMember, GroupMember, "", accountID); err != nil {
			return err
		}
	default:
		if err := f.Store.SetMembership(ctx, g.ID, accountID, StateRequested, GroupMember, NotifyGroupRequest, accountID); err != nil {
			return err
		}
	}
	if current.State == StateMember || g.Kind == GroupOpen || current.State == StateInvited {
		return f.Answer(ctx, g.ID, accountID, true)
	}
	return nil // a moderator decides
}

// unfollowGroup applies a received Undo of a Follow: the person leaves the group.
func (f *Federation) unfollowGroup(ctx context.Context, in IncomingActivity, follow *activitypub.Object) error {
	obj, ok := f.parseLocal(follow.Object.IRI)
	if !ok || obj.kind != "group" {
		return nil
	}
	m, err := f.Store.RemoteMemberByActor(ctx, obj.id, in.Actor)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Store.RemoveMembership(ctx, obj.id, m.AccountID)
}

// remoteNames is the username and display name Ruche keeps for a partner's actor: its
// preferredUsername when it is a plain name, else the last segment of its id.
func remoteNames(a RemoteActor, doc *activitypub.Object) (username, name string) {
	if doc != nil {
		username, name = doc.PreferredUsername, doc.Name
	}
	if !plainName(username) {
		username = a.IRI[strings.LastIndex(a.IRI, "/")+1:]
	}
	if !plainName(username) {
		username = "user"
	}
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	return strings.ToLower(username), strings.TrimSpace(name)
}

func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// Answer tells a remote account's instance that the group accepted its Follow (it is a
// member) or rejected it (its request was turned down, or it was removed). It does
// nothing for a local account. The answer goes through the gate and the queue.
func (f *Federation) Answer(ctx context.Context, groupID, accountID int64, accept bool) error {
	m, err := f.Store.RemoteMember(ctx, groupID, accountID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	acts := []*activitypub.Object{f.followAnswer(m, accept, f.GroupIRI(groupID)+"/activities/"+randomHex(12))}
	if !accept && m.State == StateMember {
		// A member removed: the Reject is what other servers understand; the Remove
		// from the members collection says what happened.
		acts = append(acts, f.memberRemove(m, f.GroupIRI(groupID)+"/activities/"+randomHex(12)))
	}
	var out []Outbound
	for _, a := range acts {
		o, err := f.Clear(ctx, Departure{Actor: GroupActor(groupID), Activity: a, About: m, To: []string{m.Domain}})
		if err != nil {
			return err
		}
		out = append(out, o)
	}
	_, err = f.Store.QueueActivities(ctx, out)
	return err
}

// memberRemove is the group's Remove of member m from its members collection, with id.
func (f *Federation) memberRemove(m RemoteMember, id string) *activitypub.Object {
	group := f.GroupIRI(m.GroupID)
	return &activitypub.Object{ID: id, Type: activitypub.TypeRemove, Actor: activitypub.IRI(group), To: []string{m.APID},
		Object: activitypub.IRI(m.APID), Target: activitypub.IRI(group + "/members")}
}

// followAnswer is the group's Accept or Reject of m's Follow, with id.
func (f *Federation) followAnswer(m RemoteMember, accept bool, id string) *activitypub.Object {
	group := f.GroupIRI(m.GroupID)
	typ := activitypub.TypeReject
	if accept {
		typ = activitypub.TypeAccept
	}
	return &activitypub.Object{
		ID: id, Type: typ, Actor: activitypub.IRI(group), To: []string{m.APID},
		Object: activitypub.Embed(&activitypub.Object{ID: m.FollowID, Type: activitypub.TypeFollow,
			Actor: activitypub.IRI(m.APID), Object: activitypub.IRI(group)}),
	}
}

// clearGroupAnswer is the gate's rule for a group's answer to a Follow (and the Remove
// of a member): the group is shared with the member's instance, the member is who the
// store says (its actor, instance and Follow), the activity is exactly the answer the
// group would write, an Accept or Remove only of a member, and it goes to that instance
// only, at the member's inbox.
func (f *Federation) clearGroupAnswer(ctx context.Context, d Departure, groupID int64) (Outbound, error) {
	about, ok := d.About.(RemoteMember)
	if !ok || about.GroupID != groupID || len(d.To) != 1 {
		return Outbound{}, ErrNotFederated
	}
	m, err := f.Store.RemoteMember(ctx, groupID, about.AccountID)
	if err != nil || m != about || NormalizeDomain(d.To[0]) != m.Domain {
		return Outbound{}, ErrNotFederated
	}
	if err := f.Shares.GroupShared(ctx, groupID, m.Domain); err != nil {
		return Outbound{}, ErrNotFederated
	}
	if p, err := f.Store.Partner(ctx, m.Domain); err != nil || !p.Active() {
		return Outbound{}, ErrNotFederated
	}
	accept := d.Activity.Type == activitypub.TypeAccept
	remove := d.Activity.Type == activitypub.TypeRemove
	if (accept || remove) && m.State != StateMember || !f.isLocalIRI(d.Activity.ID) {
		return Outbound{}, ErrNotFederated
	}
	body, err := activitypub.Marshal(d.Activity)
	if err != nil {
		return Outbound{}, err
	}
	canonical := f.followAnswer(m, accept, d.Activity.ID)
	if remove {
		canonical = f.memberRemove(m, d.Activity.ID)
	}
	want, err := activitypub.Marshal(canonical)
	if err != nil || string(body) != string(want) {
		return Outbound{}, ErrNotFederated
	}
	actor, err := f.Store.RemoteActor(ctx, m.APID)
	if err != nil {
		return Outbound{}, ErrNotFederated
	}
	inbox := actor.SharedInbox
	if inbox == "" {
		inbox = actor.Inbox
	}
	return Outbound{cleared: true, actor: d.Actor, iri: d.Activity.ID, body: body, to: []Destination{{Host: m.Domain, Inbox: inbox}}}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Unshared tells the partner a group is no longer shared with that the group is gone,
// for it: a Delete of the group actor, after which a compliant instance drops the group
// and everything of it. It must run while the group is still shared (the gate checks).
func (f *Federation) Unshared(ctx context.Context, groupID int64, domain string) error {
	a := f.groupDelete(groupID, f.GroupIRI(groupID)+"/activities/"+randomHex(12))
	out, err := f.Clear(ctx, Departure{Actor: GroupActor(groupID), Activity: a, To: []string{domain}})
	if err != nil {
		return err
	}
	_, err = f.Store.QueueActivities(ctx, []Outbound{out})
	return err
}

// groupDelete is a group's Delete of itself, with id.
func (f *Federation) groupDelete(groupID int64, id string) *activitypub.Object {
	group := f.GroupIRI(groupID)
	return &activitypub.Object{ID: id, Type: activitypub.TypeDelete, Actor: activitypub.IRI(group), Object: activitypub.IRI(group)}
}

// clearGroupDelete is the gate's rule for a group's Delete of itself: to one partner
// the group is shared with, exactly as Ruche writes it.
func (f *Federation) clearGroupDelete(ctx context.Context, d Departure, groupID int64) (Outbound, error) {
	if d.About != nil || len(d.To) != 1 || !f.isLocalIRI(d.Activity.ID) {
		return Outbound{}, ErrNotFederated
	}
	domain := NormalizeDomain(d.To[0])
	if err := f.checkPartner(ctx, domain); err != nil {
		return Outbound{}, ErrNotFederated
	}
	if err := f.Shares.GroupShared(ctx, groupID, domain); err != nil {
		return Outbound{}, ErrNotFederated
	}
	body, err := activitypub.Marshal(d.Activity)
	if err != nil {
		return Outbound{}, err
	}
	want, err := activitypub.Marshal(f.groupDelete(groupID, d.Activity.ID))
	if err != nil || string(body) != string(want) {
		return Outbound{}, ErrNotFederated
	}
	return Outbound{cleared: true, actor: d.Actor, iri: d.Activity.ID, body: body, to: []Destination{{Host: domain}}}, nil
}
