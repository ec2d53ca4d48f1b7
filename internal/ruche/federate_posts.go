package ruche

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
)

// Posts of shared groups on the wire (FEP-1b12). Likes and boosts given here to posts
// of a partner's group go to that group's home as Like or Announce (and their Undo); a
// local group relays every like and boost in it, as it relays posts. A post in a local shared group goes
// to every partner with members in it as the group's Announce of the author's Create
// (Update, Delete), with the Note and its author embedded, so that an instance that is
// not the author's partner can still show it on the group's word. A post written here
// in a partner's group goes to that group as the author's Create, and comes back to
// everyone through the group. Notes are addressed to the group, never to the public.
// What leaves is found in the federation outbox, which a trigger fills in each post's
// own transaction (migration 016), and drained here through the gate.

// PostIRI is the Note id of a post written here.
func (f *Federation) PostIRI(id int64) string {
	return f.BaseURL + "/ap/posts/" + strconv.FormatInt(id, 10)
}

// PostDocument is a post of a local shared group as a Note, for a partner the gate
// lets read it.
func (f *Federation) PostDocument(ctx context.Context, peer Peer, id int64) (*activitypub.Object, error) {
	if err := f.Reveal(ctx, peer, f.PostIRI(id)); err != nil {
		return nil, err
	}
	p, err := f.Store.FederatedPost(ctx, id)
	if err != nil {
		return nil, err
	}
	return f.note(p, f.GroupIRI(p.GroupID), f.UserIRI(p.Author.ID)), nil
}

// outboxBatch is how many outbox rows a drain takes at once.
const outboxBatch = 200

// DrainOutbox turns the federation outbox into deliveries, oldest first, and returns
// how many rows it handled. A row whose activity the gate refuses (the group was
// unshared meanwhile) is dropped: what may no longer leave does not. One drain runs at
// a time, on any node, so that a post's Create, Update and Delete are queued in order
// and once; while another drain runs, it returns 0.
func (f *Federation) DrainOutbox(ctx context.Context) (int, error) {
	release, ok, err := f.Store.LockFederationOutbox(ctx)
	if err != nil || !ok {
		return 0, err
	}
	defer release()
	items, err := f.Store.FederationOutbox(ctx, outboxBatch)
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		out, err := f.outboxActivity(ctx, it)
		if err != nil && !errors.Is(err, ErrNotFederated) && !errors.Is(err, ErrNotFound) {
			return 0, err
		}
		if len(out) > 0 {
			if _, err := f.Store.QueueActivities(ctx, out); err != nil {
				return 0, err
			}
		}
		if err := f.Store.DoneFederationOutbox(ctx, it.ID); err != nil {
			return 0, err
		}
	}
	return len(items), nil
}

// outboxActivity makes and clears the activity an outbox row calls for.
func (f *Federation) outboxActivity(ctx context.Context, it OutboxItem) ([]Outbound, error) {
	groupAPID, domain, err := f.Store.RemoteGroup(ctx, it.GroupID)
	switch {
	case errors.Is(err, ErrNotFound): // a local group: the group relays to its partners
		domains, err := f.Store.GroupMemberDomains(ctx, it.GroupID)
		if err != nil || len(domains) == 0 {
			return nil, err
		}
		a, err := f.groupRelay(ctx, it, f.GroupIRI(it.GroupID)+"/activities/"+randomHex(12))
		if err != nil {
			return nil, err
		}
		authorDomain, err := f.authorDomain(ctx, it.AuthorID)
		if err != nil {
			return nil, err
		}
		var to []string
		for _, d := range domains {
			// The author's own instance has the post (or the like) already, but for a
			// delete, which may be a moderator's; a suspended partner gets nothing (and
			// must not hold up the others); and an edit or delete goes only where the
			// post itself could have gone.
			if d == authorDomain && it.Kind != "delete" {
				continue
			}
			if f.checkPartner(ctx, d) != nil {
				continue
			}
			if ok, err := f.sharedBefore(ctx, it, d); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
			to = append(to, d)
		}
		if len(to) == 0 {
			return nil, nil
		}
		o, err := f.Clear(ctx, Departure{Actor: GroupActor(it.GroupID), Activity: a, About: it, To: to})
		if err != nil {
			return nil, err
		}
		return []Outbound{o}, nil
	case err != nil:
		return nil, err
	}
	// A partner's group: the author sends it there.
	a, err := f.memberPost(ctx, it, groupAPID)
	if err != nil {
		return nil, err
	}
	o, err := f.Clear(ctx, Departure{Actor: UserActor(it.AuthorID), Activity: a, About: it, To: []string{domain}})
	if err != nil {
		return nil, err
	}
	return []Outbound{o}, nil
}

// sharedBefore reports whether the row's post was written after its group was shared
// with domain: a post from before the sharing never leaves, not even edited.
func (f *Federation) sharedBefore(ctx context.Context, it OutboxItem, domain string) (bool, error) {
	return f.writtenShared(ctx, it.PostID, it.GroupID, domain)
}

// writtenShared reports whether post postID of groupID was written once the group was
// shared with domain: what was written before never leaves, nor is served.
func (f *Federation) writtenShared(ctx context.Context, postID, groupID int64, domain string) (bool, error) {
	at, err := f.Store.ShareCreatedAt(ctx, groupID, domain)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	written := time.UnixMilli(postID >> 16) // ids carry their time (next_id)
	return !written.Before(at), nil
}

func (f *Federation) authorDomain(ctx context.Context, accountID int64) (string, error) {
	apID, err := f.Store.AccountAPID(ctx, accountID)
	if err != nil || apID == "" {
		return "", err
	}
	return activitypub.KeyHost(apID)
}

// noteIRI is the Note id of an outbox row's post.
func (f *Federation) noteIRI(it OutboxItem) string {
	if it.APID != "" {
		return it.APID
	}
	return f.PostIRI(it.PostID)
}

// authorIRI is the actor id of a post's author.
func (f *Federation) authorIRI(ctx context.Context, accountID int64) (string, error) {
	apID, err := f.Store.AccountAPID(ctx, accountID)
	if err != nil || apID != "" {
		return apID, err
	}
	return f.UserIRI(accountID), nil
}

// note is a group post as a Note, addressed to its group only.
func (f *Federation) note(p FedPost, groupIRI, authorIRI string) *activitypub.Object {
	id := p.APID
	if id == "" {
		id = f.PostIRI(p.ID)
	}
	n := &activitypub.Object{
		ID: id, Type: activitypub.TypeNote, AttributedTo: activitypub.Refs{activitypub.IRI(authorIRI)},
		Content: p.HTML, Summary: p.SpoilerText, Sensitive: p.SpoilerText != "",
		Published: p.CreatedAt.UTC(), To: []string{groupIRI}, Audience: []string{groupIRI},
	}
	if p.EditedAt != nil {
		n.Updated = p.EditedAt.UTC()
	}
	n.Attachment = f.attachments(p)
	for _, m := range p.Mentions {
		iri, domain := m.APID, m.Domain
		if iri == "" {
			iri, domain = f.UserIRI(m.AccountID), f.HandleDomain()
		}
		n.Tag = append(n.Tag, activitypub.Embed(&activitypub.Object{Type: activitypub.TypeMention, Href: iri,
			Name: "@" + m.Username + "@" + domain}))
	}
	switch {
	case p.ParentAPID != "":
		n.InReplyTo = activitypub.IRI(p.ParentAPID)
	case p.ParentID != 0:
		n.InReplyTo = activitypub.IRI(f.PostIRI(p.ParentID))
	}
	return n
}

// authorActivity is the author's Create, Update or Delete of the row's post, with the
// Note (or, for a delete, its id) and, embedded when known, the author.
func (f *Federation) authorActivity(ctx context.Context, it OutboxItem, groupIRI string, embedAuthor bool) (*activitypub.Object, error) {
	authorIRI, err := f.authorIRI(ctx, it.AuthorID)
	if err != nil {
		return nil, err
	}
	noteID := f.noteIRI(it)
	switch it.Kind {
	case "like", "unlike", "boost", "unboost":
		return f.reactionActivity(ctx, it, groupIRI, authorIRI, noteID, embedAuthor)
	}
	if it.Kind == "delete" {
		return &activitypub.Object{ID: noteID + "#delete", Type: activitypub.TypeDelete, Actor: activitypub.IRI(authorIRI),
			Object: activitypub.IRI(noteID), To: []string{groupIRI}, Audience: []string{groupIRI}}, nil
	}
	p, err := f.Store.FederatedPost(ctx, it.PostID)
	if err != nil {
		return nil, err
	}
	typ, id := activitypub.TypeCreate, noteID+"#create"
	if it.Kind == "update" {
		typ, id = activitypub.TypeUpdate, noteID+"#update-"+strconv.FormatInt(it.ID, 10)
	}
	actor := activitypub.IRI(authorIRI)
	if embedAuthor {
		actor = activitypub.Embed(&activitypub.Object{ID: authorIRI, Type: activitypub.TypePerson,
			PreferredUsername: p.Author.Username, Name: p.Author.DisplayName})
	}
	return &activitypub.Object{ID: id, Type: typ, Actor: actor, Object: activitypub.Embed(f.note(p, groupIRI, authorIRI)),
		To: []string{groupIRI}, Audience: []string{groupIRI}}, nil
}

// reactionActivity is the Like or boost (Announce), or its Undo, that an outbox row
// stands for. A member's own is named under their actor; the group's relay of it under
// the group's, since a group may relay a partner's member's and must not mint ids on
// another instance. A relay embeds a local member, so that receivers can name them.
func (f *Federation) reactionActivity(ctx context.Context, it OutboxItem, groupIRI, actorIRI, noteID string, relay bool) (*activitypub.Object, error) {
	typ, path := activitypub.TypeLike, "/likes/"
	if it.Kind == "boost" || it.Kind == "unboost" {
		typ, path = activitypub.TypeAnnounce, "/boosts/"
	}
	post := strconv.FormatInt(it.PostID, 10)
	// Each like (boost) its own id, with its outbox row's: a like given again after
	// an Undo is a new activity, which a receiver that keeps ids must not take for
	// the first one again.
	act := &activitypub.Object{ID: actorIRI + path + post + "-" + strconv.FormatInt(it.ID, 10), Type: typ,
		Actor: activitypub.IRI(actorIRI), Object: activitypub.IRI(noteID), To: []string{groupIRI}, Audience: []string{groupIRI}}
	if relay {
		act.ID = groupIRI + path + post + "-" + strconv.FormatInt(it.AuthorID, 10)
		if f.isLocalIRI(actorIRI) { // a partner's member is named by their own instance
			u, err := f.Store.UserByID(ctx, it.AuthorID)
			if err != nil {
				return nil, err
			}
			act.Actor = activitypub.Embed(&activitypub.Object{ID: actorIRI, Type: activitypub.TypePerson,
				PreferredUsername: u.Username, Name: u.DisplayName})
		}
	}
	if it.Kind == "like" || it.Kind == "boost" {
		return act, nil
	}
	return &activitypub.Object{ID: act.ID + "/undo/" + strconv.FormatInt(it.ID, 10), Type: activitypub.TypeUndo,
		Actor: act.Actor, Object: activitypub.Embed(act), To: []string{groupIRI}, Audience: []string{groupIRI}}, nil
}

// groupRelay is a local group's Announce of the row's activity, to its members'
// instances.
func (f *Federation) groupRelay(ctx context.Context, it OutboxItem, id string) (*activitypub.Object, error) {
	group := f.GroupIRI(it.GroupID)
	inner, err := f.authorActivity(ctx, it, group, true)
	if err != nil {
		return nil, err
	}
	return &activitypub.Object{ID: id, Type: activitypub.TypeAnnounce, Actor: activitypub.IRI(group),
		Object: activitypub.Embed(inner), To: []string{group + "/members"}, Audience: []string{group}}, nil
}

// memberPost is a member's Create (Update, Delete) of a post in a partner's group.
func (f *Federation) memberPost(ctx context.Context, it OutboxItem, groupAPID string) (*activitypub.Object, error) {
	return f.authorActivity(ctx, it, groupAPID, false)
}

// clearPost is the gate's rule for a group post: the outbox row is real (the store
// has it, as told), the activity is exactly what Ruche writes for it, and it goes
// only where the group's people are: a local group relays to partners it is shared
// with that have members in it; a member of a partner's group sends to that group.
func (f *Federation) clearPost(ctx context.Context, d Departure) (Outbound, error) {
	about, ok := d.About.(OutboxItem)
	if !ok || len(d.To) == 0 || !f.isLocalIRI(d.Activity.ID) && d.Activity.Type == activitypub.TypeAnnounce {
		return Outbound{}, ErrNotFederated
	}
	// A refusal drops the outbox row for good, so only a decision refuses: a failing
	// store is an error, and the row waits for the next drain.
	it, err := f.Store.FederationOutboxItem(ctx, about.ID)
	if err != nil || it != about {
		return Outbound{}, refusal(err)
	}
	body, err := activitypub.Marshal(d.Activity)
	if err != nil {
		return Outbound{}, err
	}
	groupAPID, domain, err := f.Store.RemoteGroup(ctx, it.GroupID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Outbound{}, err
	}
	var want *activitypub.Object
	var to []Destination
	switch {
	case errors.Is(err, ErrNotFound) && d.Actor == GroupActor(it.GroupID):
		domains, err := f.Store.GroupMemberDomains(ctx, it.GroupID)
		if err != nil {
			return Outbound{}, err
		}
		for _, dom := range d.To {
			dom = NormalizeDomain(dom)
			if !slices.Contains(domains, dom) || f.checkPartner(ctx, dom) != nil {
				return Outbound{}, ErrNotFederated
			}
			if ok, err := f.sharedBefore(ctx, it, dom); err != nil || !ok {
				return Outbound{}, cmpErr(err, ErrNotFederated)
			}
			if err := f.Shares.GroupShared(ctx, it.GroupID, dom); err != nil {
				return Outbound{}, refusal(err)
			}
			to = append(to, Destination{Host: dom})
		}
		if want, err = f.groupRelay(ctx, it, d.Activity.ID); err != nil {
			return Outbound{}, refusal(err)
		}
	case err == nil && d.Actor == UserActor(it.AuthorID) && len(d.To) == 1 && NormalizeDomain(d.To[0]) == domain:
		if f.checkPartner(ctx, domain) != nil {
			return Outbound{}, ErrNotFederated
		}
		// A post leaves while its author is a member; its deletion leaves always, since
		// taking words back is never a leak.
		if st, _, err := f.Store.LocalMembership(ctx, it.GroupID, it.AuthorID); it.Kind != "delete" && (err != nil || st != StateMember) {
			return Outbound{}, refusal(err)
		}
		if want, err = f.memberPost(ctx, it, groupAPID); err != nil {
			return Outbound{}, refusal(err)
		}
		group, err := f.Store.RemoteActor(ctx, groupAPID)
		if err != nil {
			return Outbound{}, refusal(err)
		}
		inbox := group.SharedInbox
		if inbox == "" {
			inbox = group.Inbox
		}
		to = []Destination{{Host: domain, Inbox: inbox}}
	default:
		return Outbound{}, ErrNotFederated
	}
	wantBody, err := activitypub.Marshal(want)
	if err != nil || string(wantBody) != string(body) {
		return Outbound{}, ErrNotFederated
	}
	return Outbound{cleared: true, actor: d.Actor, iri: d.Activity.ID, body: body, to: to}, nil
}

// refusal is the gate's answer when a check did not pass because of err: a refusal
// when what was looked for is not there (or err is nil), else err itself.
func refusal(err error) error {
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotFederated) {
		return ErrNotFederated
	}
	return err
}
