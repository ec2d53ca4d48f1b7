package ruche

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ruche-hive/ruche/activitypub"
	"github.com/ruche-hive/ruche/internal/richtext"
)

// Group posts arriving from partners. At the group's home, a member's Create, Update
// or Delete of a Note addressed to the group is accepted from that member only, and
// only while they are a member; anything addressed to the public, or to anyone but the
// group, is refused. At a member's instance, the group's Announce of such an activity
// is accepted on the group's word: its audience must be that group, whose instance is
// a partner. Either way the post is stored like any group post, sanitized with the one
// policy, and the visibility rule shows it to the group's members here only.

// memberActivity applies a member's Create, Update or Delete of a post in a local
// shared group.
func (f *Federation) memberActivity(ctx context.Context, in IncomingActivity, a *activitypub.Object) error {
	switch a.Type {
	case activitypub.TypeCreate, activitypub.TypeUpdate:
		n := a.Object.Object
		if n == nil || n.Type != activitypub.TypeNote {
			return nil
		}
		groupID, ok := f.localGroupOf(n)
		if !ok || !attributedTo(n, in.Actor) || addressedBeyond(n, f.GroupIRI(groupID)) || !idOn(n.ID, in.Host) {
			return nil
		}
		if err := f.Shares.GroupShared(ctx, groupID, in.Host); err != nil {
			return nil
		}
		m, err := f.Store.RemoteMemberByActor(ctx, groupID, in.Actor)
		if err != nil || m.State != StateMember {
			return nil // not a member: refused
		}
		return f.storeNote(ctx, a.Type, n, groupID, m.AccountID, in.Host)
	case activitypub.TypeDelete:
		// Authors delete their own posts, member or not any more.
		if !idOn(a.Object.IRI, in.Host) {
			return nil
		}
		return f.deleteNote(ctx, a.Object.IRI, in.Actor, 0)
	}
	return nil
}

// idOn reports whether iri is on host: a partner speaks only for its own posts.
func idOn(iri, host string) bool {
	h, err := activitypub.KeyHost(iri)
	return err == nil && h == host
}

// memberReaction applies a member's Like or boost (Announce), or its Undo, of a post
// in a local shared group: it counts, and its author hears of it, as any.
func (f *Federation) memberReaction(ctx context.Context, in IncomingActivity, act *activitypub.Object, on bool) error {
	p, ok := f.ourGroupPost(ctx, act.Object.IRI)
	if !ok {
		return nil // not a post of one of our groups
	}
	postID := p.ID
	if err := f.Shares.GroupShared(ctx, p.GroupID, in.Host); err != nil {
		return nil
	}
	m, err := f.Store.RemoteMemberByActor(ctx, p.GroupID, in.Actor)
	if err != nil || m.State != StateMember {
		return nil
	}
	return f.react(ctx, act.Type, m.AccountID, postID, on)
}

// react records (or takes back) accountID's Like or boost of postID.
func (f *Federation) react(ctx context.Context, typ string, accountID, postID int64, on bool) error {
	switch {
	case typ == activitypub.TypeLike:
		return f.Store.SetLiked(ctx, accountID, postID, on)
	case on:
		_, err := f.Store.Boost(ctx, accountID, postID)
		return err
	default:
		return f.Store.Unboost(ctx, accountID, postID)
	}
}

// groupAnnounce applies a partner's group's Announce of a post activity.
func (f *Federation) groupAnnounce(ctx context.Context, in IncomingActivity, announce *activitypub.Object) error {
	groupID, err := f.Store.GroupByActor(ctx, in.Actor)
	if errors.Is(err, ErrNotFound) {
		return nil // a group we do not hold
	}
	if err != nil {
		return err
	}
	// Only groups someone here takes part in bring posts here.
	if ok, err := f.Store.HasLocalMembers(ctx, groupID); err != nil || !ok {
		return err
	}
	inner := announce.Object.Object
	if inner == nil {
		return nil
	}
	authorIRI := inner.Actor.IRI
	host, err := activitypub.KeyHost(authorIRI)
	if err != nil {
		return nil
	}
	switch inner.Type {
	case activitypub.TypeLike, activitypub.TypeUndo, activitypub.TypeAnnounce:
		return f.groupReaction(ctx, in, groupID, inner)
	case activitypub.TypeDelete:
		if host == f.Host() {
			// Our member's post, deleted at the group's home: by its author from here
			// (gone already), or by a moderator there, whose word on the group's
			// content we take.
			return f.deleteOwnInGroup(ctx, inner.Object.IRI, groupID)
		}
		if !idOn(inner.Object.IRI, host) {
			return nil
		}
		return f.deleteNote(ctx, inner.Object.IRI, authorIRI, groupID)
	}
	if host == f.Host() {
		return nil // our own member's post, back from the group: we have it
	}
	n := inner.Object.Object
	if n == nil || n.Type != activitypub.TypeNote || !slices.Contains(n.Audience, in.Actor) ||
		!attributedTo(n, authorIRI) || addressedBeyond(n, in.Actor) || !idOn(n.ID, host) {
		return nil
	}
	username, name := remoteNames(RemoteActor{IRI: authorIRI}, nil)
	if doc := inner.Actor.Object; doc != nil && doc.ID == authorIRI {
		username, name = remoteNames(RemoteActor{IRI: authorIRI}, doc)
	}
	// A group speaks for the names of its own instance's people only.
	authorID, err := f.Store.UpsertRemoteAccount(ctx, RemoteActor{IRI: authorIRI, Host: host}, username, name, host == in.Host)
	if err != nil {
		return err
	}
	return f.storeNote(ctx, inner.Type, n, groupID, authorID, in.Host)
}

// groupReaction applies a partner's group's relay of a Like or boost (or its Undo) of
// a post in that group, by someone not of this instance: it counts here too, and a
// member here who wrote the post is told.
func (f *Federation) groupReaction(ctx context.Context, in IncomingActivity, groupID int64, inner *activitypub.Object) error {
	act, on := inner, true
	if inner.Type == activitypub.TypeUndo {
		act, on = inner.Object.Object, false
		if act == nil || !activitypub.SameActor(act.Actor.IRI, inner.Actor.IRI) {
			return nil
		}
	}
	if act.Type != activitypub.TypeLike && act.Type != activitypub.TypeAnnounce {
		return nil
	}
	actorIRI := act.Actor.IRI
	host, err := activitypub.KeyHost(actorIRI)
	if err != nil || host == f.Host() {
		return nil // our own member's: counted here already
	}
	// A group speaks for its own instance's people, and for partners' people we know
	// already (from their posts): it cannot conjure likers from anywhere.
	if f.checkPartner(ctx, host) != nil {
		return nil
	}
	if host != in.Host {
		if _, err := f.Store.AccountByAPID(ctx, actorIRI); err != nil {
			return ignoreNotFound(err)
		}
	}
	postID, _, _, ok := f.localPost(ctx, act.Object.IRI, groupID)
	if !ok {
		return nil
	}
	username, name := remoteNames(RemoteActor{IRI: actorIRI}, nil)
	if doc := act.Actor.Object; doc != nil && doc.ID == actorIRI {
		username, name = remoteNames(RemoteActor{IRI: actorIRI}, doc)
	}
	account, err := f.Store.UpsertRemoteAccount(ctx, RemoteActor{IRI: actorIRI, Host: host}, username, name, host == in.Host)
	if err != nil {
		return err
	}
	return f.react(ctx, act.Type, account, postID, on)
}

// deleteOwnInGroup deletes a post written here in a partner's group, on that group's
// word.
func (f *Federation) deleteOwnInGroup(ctx context.Context, noteID string, groupID int64) error {
	obj, ok := f.parseLocal(noteID)
	if !ok || obj.kind != "post" {
		return nil
	}
	p, err := f.Store.FederatedPost(ctx, obj.id)
	if err != nil || p.GroupID != groupID {
		return nil
	}
	if err := f.Store.DeletePost(ctx, p.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// storeNote creates or edits the post a Note is, in groupID, by authorID; its files
// come from host, the instance that sent it.
func (f *Federation) storeNote(ctx context.Context, typ string, n *activitypub.Object, groupID, authorID int64, host string) error {
	html := richtext.Sanitize(n.Content)
	spoiler := n.Summary
	if len([]rune(spoiler)) > MaxSpoilerChars {
		spoiler = string([]rune(spoiler)[:MaxSpoilerChars])
	}
	source := richtext.PlainText(html)
	if len([]rune(source)) > MaxPostChars {
		source = string([]rune(source)[:MaxPostChars])
	}
	// No preview is fetched for a partner's post: a partner could otherwise make this
	// server visit any address it likes.
	d := PostDraft{AuthorID: authorID, Visibility: VisGroup, GroupID: groupID, Source: source, HTML: html, SpoilerText: spoiler, APID: n.ID}
	mentions, err := f.noteMentions(ctx, n, groupID, authorID)
	if err != nil {
		return err
	}
	d.MentionIDs = mentions
	if postID, author, group, err := f.Store.PostByAPID(ctx, n.ID, groupID); err == nil {
		if author != authorID || group != groupID || typ != activitypub.TypeUpdate {
			return nil // someone else's post, another group's, or a second copy
		}
		// The partner's time orders its edits; one from the future is taken as now,
		// lest it freeze the post.
		if at := n.Updated.UTC(); !at.IsZero() && at.Before(time.Now().Add(time.Minute)) {
			d.EditedAt = &at
		}
		// Whom it answers stays told, whatever the edit's tags say (as for a local edit).
		if p, err := f.Store.FederatedPost(ctx, postID); err == nil && p.ParentLocalAuthor != 0 &&
			p.ParentLocalAuthor != authorID && !slices.Contains(d.MentionIDs, p.ParentLocalAuthor) {
			d.MentionIDs = append(d.MentionIDs, p.ParentLocalAuthor)
		}
		return f.Store.EditPost(ctx, postID, d)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if typ != activitypub.TypeCreate {
		return nil
	}
	if gone, err := f.Store.Tombstoned(ctx, n.ID, groupID); err != nil || gone {
		return err // deleted before it arrived
	}
	d.MediaIDs = f.fetchAttachments(ctx, n, host, authorID)
	if parent := n.InReplyTo.IRI; parent != "" {
		if id, account, group, ok := f.localPost(ctx, parent, groupID); ok && group == groupID {
			d.InReplyToID, d.InReplyToAccountID = id, account
			// A member here replied to is told, as for any reply.
			if apID, err := f.Store.AccountAPID(ctx, account); err == nil && apID == "" && account != authorID &&
				!slices.Contains(d.MentionIDs, account) {
				d.MentionIDs = append(d.MentionIDs, account)
			}
		}
	}
	_, err = f.Store.CreatePost(ctx, d)
	if errors.Is(err, ErrConflict) {
		return nil // stored meanwhile
	}
	return err
}

// maxNoteMentions bounds the Mention tags of a Note that are looked at.
const maxNoteMentions = 50

// noteMentions are the accounts a Note's Mention tags name and this instance knows: its
// own members of the group, who are told as of any mention, and partners' people it
// already holds. Anyone else named is left as text: a mention never widens who reads
// a group post, nor reaches outside the group.
func (f *Federation) noteMentions(ctx context.Context, n *activitypub.Object, groupID, authorID int64) ([]int64, error) {
	var ids []int64
	for i, t := range n.Tag {
		if i == maxNoteMentions {
			break
		}
		if t.Object == nil || t.Object.Type != activitypub.TypeMention || t.IRI == "" {
			continue
		}
		var id int64
		if obj, local := f.parseLocal(t.IRI); local {
			if obj.kind != "user" {
				continue
			}
			st, _, err := f.Store.LocalMembership(ctx, groupID, obj.id)
			if errors.Is(err, ErrNotFound) || err == nil && st != StateMember {
				continue
			}
			if err != nil {
				return nil, err
			}
			id = obj.id
		} else {
			known, err := f.Store.AccountByAPID(ctx, t.IRI)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			id = known
		}
		if id != authorID && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// deleteNote deletes the copies of the post with that id that authorIRI wrote (in
// groupID, or in every group when 0, as its author's own instance says), and
// remembers the id so that a late Create does not bring it back. The caller has
// checked that the id is on the author's instance (or takes the group's word).
func (f *Federation) deleteNote(ctx context.Context, noteID, authorIRI string, groupID int64) error {
	copies, err := f.Store.PostsByAPID(ctx, noteID)
	if err != nil {
		return err
	}
	author, err := f.Store.AccountByAPID(ctx, authorIRI)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	here, deleted := false, false
	for _, c := range copies {
		if groupID != 0 && c.GroupID != groupID {
			continue
		}
		here = true
		if c.AuthorID != author {
			continue // someone else's post: nothing is remembered
		}
		if err := f.Store.DeletePost(ctx, c.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		deleted = true
	}
	if !here || deleted {
		// Not here (yet), or gone now: remembered either way.
		return f.Store.Tombstone(ctx, noteID, groupID)
	}
	return nil
}

// localPost finds the post an id names in groupID: one written here (/ap/posts/<id>)
// or the copy of a partner's that the group brought.
func (f *Federation) localPost(ctx context.Context, iri string, groupID int64) (postID, authorID, group int64, ok bool) {
	if obj, local := f.parseLocal(iri); local {
		if obj.kind != "post" {
			return 0, 0, 0, false
		}
		p, err := f.Store.FederatedPost(ctx, obj.id)
		return p.ID, p.Author.ID, p.GroupID, err == nil && p.GroupID == groupID
	}
	postID, authorID, group, err := f.Store.PostByAPID(ctx, iri, groupID)
	return postID, authorID, group, err == nil
}

// ourGroupPost finds the post an id names in one of this instance's own groups.
func (f *Federation) ourGroupPost(ctx context.Context, iri string) (FedPost, bool) {
	var ids []int64
	if obj, local := f.parseLocal(iri); local {
		if obj.kind != "post" {
			return FedPost{}, false
		}
		ids = []int64{obj.id}
	} else {
		copies, err := f.Store.PostsByAPID(ctx, iri)
		if err != nil {
			return FedPost{}, false
		}
		for _, c := range copies {
			ids = append(ids, c.ID)
		}
	}
	for _, id := range ids {
		if p, err := f.Store.FederatedPost(ctx, id); err == nil && p.GroupAPID == "" {
			return p, true
		}
	}
	return FedPost{}, false
}

// localGroupOf is the local group a Note is for: its audience, else its single
// addressee.
func (f *Federation) localGroupOf(n *activitypub.Object) (int64, bool) {
	for _, iri := range append(slices.Clone(n.Audience), n.To...) {
		if obj, ok := f.parseLocal(iri); ok && obj.kind == "group" {
			return obj.id, true
		}
	}
	return 0, false
}

// attributedTo reports whether the Note's author is actor, and only actor.
func attributedTo(n *activitypub.Object, actor string) bool {
	return len(n.AttributedTo) == 1 && activitypub.SameActor(n.AttributedTo[0].IRI, actor)
}

// addressedBeyond reports whether a Note is addressed to anyone but its group (or the
// group's members collection): to the public, or to people it would reach outside.
func addressedBeyond(n *activitypub.Object, group string) bool {
	if activitypub.IsPublic(n) {
		return true
	}
	for _, r := range activitypub.Recipients(n) {
		if r != group && r != group+"/members" {
			return true
		}
	}
	return false
}
