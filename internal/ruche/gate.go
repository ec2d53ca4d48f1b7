package ruche

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ruche-hive/ruche/activitypub"
)

// The federation gate: the one place that decides what may leave the instance and to
// whom. Clear is the only function that makes an Outbound, and the delivery queue
// (FederationStore.QueueActivities) takes nothing else, so no code path can send an
// activity the gate has not seen. Reveal is its counterpart for what a partner may
// fetch.
//
// What may leave: the instance actor's Update of itself (after a key rotation), to
// active partners; a shared group's Accept or Reject of a Follow, to the instance of the
// member it answers; a shared group's Delete of itself, to a partner it is shared with
// (when unshared); a member's Follow of a partner's group, or its Undo, to that group's
// instance; a post of a shared group, relayed by the group to the partners with members
// in it, or sent by a member here to a partner's group (federate_posts.go). What may be
// read: see Reveal.

// Departure is what a caller wants to send: an activity by a local actor, about a local
// thing, to partner instances.
type Departure struct {
	Actor    LocalActor
	Activity *activitypub.Object
	// About is the local thing the activity is about: nil for the actor itself, or a
	// Post, a User or a Group.
	About any
	// To lists partner domains. Each must be an active partner.
	To []string
}

// Outbound is an activity the gate cleared, with where it may go. Its fields are
// unexported and only Clear sets them; the zero value is refused by the queue.
type Outbound struct {
	cleared bool
	actor   LocalActor
	iri     string
	body    []byte
	to      []Destination
}

// Destination is where a cleared activity goes: a partner, and the inbox there when
// known ("" is the partner instance's shared inbox, found when delivering).
type Destination struct {
	Host  string
	Inbox string
}

// Cleared reports whether the gate made o.
func (o Outbound) Cleared() bool { return o.cleared }

// Actor is the local actor the activity is by.
func (o Outbound) Actor() LocalActor { return o.actor }

// IRI is the activity's id.
func (o Outbound) IRI() string { return o.iri }

// Body is the activity as it will be delivered, byte for byte (a copy: what the gate
// cleared cannot be changed afterwards).
func (o Outbound) Body() []byte { return bytes.Clone(o.body) }

// Destinations lists where it goes, each once.
func (o Outbound) Destinations() []Destination { return append([]Destination(nil), o.to...) }

// ErrNotFederated is the gate's refusal: the thing does not leave the instance.
var ErrNotFederated = Errorf(CodeForbidden, "error.not_federated")

// Clear is the gate for deliveries. It returns an Outbound only when every part of d
// may leave: the actor is federated, the activity is by that actor and about something
// federated, and every destination is an active partner. The activity is encoded here,
// without bto/bcc, so what is queued is exactly what was cleared.
func (f *Federation) Clear(ctx context.Context, d Departure) (Outbound, error) {
	if d.Activity == nil || d.Activity.ID == "" || len(d.To) == 0 {
		return Outbound{}, fmt.Errorf("%w: an activity with an id and destinations is needed", ErrNotFederated)
	}
	// A group post: relayed by a local shared group, or sent by a member to a
	// partner's group.
	if _, ok := d.About.(OutboxItem); ok {
		return f.clearPost(ctx, d)
	}
	// A shared group answering a partner's member.
	if kind, idText, ok := strings.Cut(string(d.Actor), ":"); ok && kind == "group" {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || d.Actor != GroupActor(id) {
			return Outbound{}, ErrNotFederated
		}
		switch d.Activity.Type {
		case activitypub.TypeAccept, activitypub.TypeReject, activitypub.TypeRemove:
			return f.clearGroupAnswer(ctx, d, id)
		case activitypub.TypeDelete:
			return f.clearGroupDelete(ctx, d, id)
		}
		return Outbound{}, ErrNotFederated
	}
	// A member joining or leaving a partner's group.
	if kind, idText, ok := strings.Cut(string(d.Actor), ":"); ok && kind == "user" {
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil || d.Actor != UserActor(id) {
			return Outbound{}, ErrNotFederated
		}
		return f.clearFollow(ctx, d, id)
	}
	// The instance actor, speaking of itself.
	if d.Actor != InstanceActor || d.About != nil {
		return Outbound{}, ErrNotFederated
	}
	// What goes is exactly an Update of the instance actor's document, by itself, and
	// nothing more: the activity is compared, property by property, with the one the
	// gate would write, so no content, addressee or attachment can ride along.
	body, err := activitypub.Marshal(d.Activity)
	if err != nil {
		return Outbound{}, err
	}
	want, err := f.instanceUpdate(d.Activity)
	if err != nil || !bytes.Equal(body, want) {
		return Outbound{}, ErrNotFederated
	}
	out := Outbound{cleared: true, actor: d.Actor, iri: d.Activity.ID}
	seen := map[string]bool{}
	for _, domain := range d.To {
		p, err := f.Store.Partner(ctx, NormalizeDomain(domain))
		if err != nil || p.State != PartnerActive {
			return Outbound{}, fmt.Errorf("%w: %s is not an active partner", ErrNotFederated, domain)
		}
		if !seen[p.Domain] {
			seen[p.Domain] = true
			out.to = append(out.to, Destination{Host: p.Domain})
		}
	}
	out.body = body
	return out, nil
}

// instanceUpdate is the Update of the instance actor that a carries, as the gate
// writes it: a's id and date, the instance actor as actor, and the instance actor's
// document with the key a's document carries (the current key, or the one a rotation
// is about to store). Anything that is not that shape is an error.
func (f *Federation) instanceUpdate(a *activitypub.Object) ([]byte, error) {
	doc := a.Object.Object
	if a.Type != activitypub.TypeUpdate || !f.isLocalIRI(a.ID) || doc == nil || doc.PublicKey == nil {
		return nil, ErrNotFederated
	}
	// The key must be a key, written as Ruche writes keys: no text rides in it either.
	pub, err := activitypub.DecodePublicKeyPEM(doc.PublicKey.PublicKeyPem)
	if err != nil {
		return nil, ErrNotFederated
	}
	pem, err := activitypub.EncodePublicKeyPEM(pub)
	if err != nil || pem != doc.PublicKey.PublicKeyPem {
		return nil, ErrNotFederated
	}
	self := f.InstanceActorIRI()
	canon := &activitypub.Object{
		ID: a.ID, Type: activitypub.TypeUpdate, Published: a.Published,
		Actor: activitypub.IRI(self), Object: activitypub.Embed(f.instanceActorDoc(ActorKey{PublicPEM: pem})),
	}
	canon.Object.IRI = self
	return activitypub.Marshal(canon)
}

// Reveal is the gate for fetches: whether the partner peer may read the local object
// iri. Everything it does not name is not found, to every partner alike:
//   - the instance actor and its outbox: any active partner;
//   - a group's actor document: the partners the group is shared with (not secret);
//   - a group's members collection: those of them that have members in it;
//   - a member's actor document: the partners that have members in a shared group with
//     the member (or host a group the member asks to join), never a suspended member;
//   - a post written here in a shared group, as a Note: the partners it is shared with
//     that have members in it, if it was written once the group was shared with them;
//   - a file attached to a post of a local shared group (whoever wrote it): the same
//     partners; to a post written here in a partner's group: that group's instance.
func (f *Federation) Reveal(ctx context.Context, peer Peer, iri string) error {
	if !peer.Partner.Active() {
		return ErrNotFound
	}
	obj, ok := f.parseLocal(iri)
	if !ok {
		return ErrNotFound
	}
	domain := peer.Partner.Domain
	switch obj.kind {
	case "instance", "instance-outbox":
		return nil
	case "group":
		return f.Shares.GroupShared(ctx, obj.id, domain)
	case "group-members":
		if err := f.Shares.GroupShared(ctx, obj.id, domain); err != nil {
			return err
		}
		n, err := f.Store.CountGroupMembersFrom(ctx, obj.id, domain)
		if err != nil || n == 0 {
			return cmpErr(err, ErrNotFound)
		}
		return nil
	case "post":
		// A post written here in a local group shared with the partner, which has
		// members in it.
		p, err := f.Store.FederatedPost(ctx, obj.id)
		if err != nil || p.GroupAPID != "" || p.APID != "" {
			return cmpErr(err, ErrNotFound)
		}
		return f.revealGroupPost(ctx, p, domain)
	case "media":
		return f.revealMedia(ctx, obj.id, domain)
	case "user":
		ok, err := f.Store.InGroupSharedWith(ctx, obj.id, domain)
		if err != nil || !ok {
			return cmpErr(err, ErrNotFound)
		}
		return nil
	}
	return ErrNotFound
}

// revealMedia is Reveal's rule for an attached file.
func (f *Federation) revealMedia(ctx context.Context, id int64, domain string) error {
	rec, err := f.Store.Media(ctx, id)
	if err != nil || rec.PostID == 0 || rec.State != MediaReady {
		return cmpErr(err, ErrNotFound)
	}
	p, err := f.Store.FederatedPost(ctx, rec.PostID)
	if err != nil {
		return err
	}
	if p.GroupAPID != "" { // a partner's group: only what was written here, to its home
		if p.GroupDomain != domain || p.APID != "" {
			return ErrNotFound
		}
		return nil
	}
	return f.revealGroupPost(ctx, p, domain)
}

// revealGroupPost is Reveal's rule for a post of a local group (and its files): the
// group is shared with domain, which has members in it, and the post was written once
// it was shared.
func (f *Federation) revealGroupPost(ctx context.Context, p FedPost, domain string) error {
	if err := f.Shares.GroupShared(ctx, p.GroupID, domain); err != nil {
		return err
	}
	n, err := f.Store.CountGroupMembersFrom(ctx, p.GroupID, domain)
	if err != nil || n == 0 {
		return cmpErr(err, ErrNotFound)
	}
	if ok, err := f.writtenShared(ctx, p.ID, p.GroupID, domain); err != nil || !ok {
		return cmpErr(err, ErrNotFound)
	}
	return nil
}

// cmpErr is err, or fallback when err is nil.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
