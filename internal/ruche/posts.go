package ruche

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ruche-hive/ruche/internal/richtext"
)

// Posts is the use-case layer for posts, streams, follows, presence, profiles and
// notifications. It applies the rules (CanSee, CanDo) before any change; reads are
// gated by the store's SQL, which states the same rule.
type Posts struct {
	Store   PostStore
	BaseURL string           // for mention and tag links in rendered posts
	Now     func() time.Time // nil: time.Now
}

func (ps *Posts) now() time.Time {
	if ps.Now != nil {
		return ps.Now()
	}
	return time.Now()
}

var errPostNotFound = Errorf(CodeNotFound, "error.post_not_found")

// notFound maps the store's not-found to the post's message.
func notFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return errPostNotFound
	}
	return err
}

// access returns the facts about post id for viewer, or not-found when the viewer may
// not do a on it: a post one may not see does not exist, as far as one can tell.
func (ps *Posts) access(ctx context.Context, v Viewer, id int64, a Action) (PostFacts, error) {
	f, err := ps.Store.Access(ctx, v, id)
	if err != nil {
		return PostFacts{}, notFound(err)
	}
	if !CanSee(f.Visibility, f.Relation) {
		return PostFacts{}, errPostNotFound
	}
	if !CanDo(a, f.Visibility, f.Relation) {
		// Only boosting can be refused to someone who sees the post.
		return PostFacts{}, Errorf(CodeInvalid, "error.cannot_boost")
	}
	return f, nil
}

// render turns source into HTML and resolves its mentions to accounts the author may
// address.
func (ps *Posts) render(ctx context.Context, v Viewer, src string) (richtext.Rendered, []int64, error) {
	ids := map[string]int64{}
	var lookupErr error
	r := richtext.Render(src, richtext.Options{
		Mention: func(name string) (string, bool) {
			// Only people are linked. A group's @handle stays text: the rendered post is
			// the same for every reader, and a link would tell a reader who may not know
			// of the group (a guest; anyone, once the group turns secret) that it exists.
			// A partner's member (name@host) is one the author may know of.
			a, err := ps.Store.AccountByUsername(ctx, v, name)
			if err != nil {
				if !errors.Is(err, ErrNotFound) {
					lookupErr = err
				}
				return "", false
			}
			ids[name] = a.ID
			return ps.BaseURL + "/@" + a.Handle(), true
		},
		TagURL: func(tag string) string { return ps.BaseURL + "/tags/" + url.PathEscape(tag) },
	})
	var mentionIDs []int64
	for _, m := range r.Mentions {
		if id, ok := ids[m]; ok {
			mentionIDs = append(mentionIDs, id)
		}
	}
	return r, mentionIDs, lookupErr
}

// errEmptyPost is a post with no text, which only a post with media may be.
var errEmptyPost = Errorf(CodeInvalid, "error.post_empty")

// maxAttachments bounds a post's images or files.
const maxAttachments = 4

// checkMedia checks what a post may carry: u's own uploads, each once, processed, and
// up to 4 images, or one video or sound, or up to 4 files.
func (ps *Posts) checkMedia(ctx context.Context, u User, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if len(ids) > maxAttachments {
		return Errorf(CodeInvalid, "error.media_too_many")
	}
	recs, err := ps.Store.MediaToAttach(ctx, u.ID, ids)
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeInvalid, "error.media_not_attachable")
	}
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, r := range recs {
		switch {
		case seen[r.ID] || r.PostID != 0:
			return Errorf(CodeInvalid, "error.media_not_attachable")
		case r.State == MediaProcessing:
			return Errorf(CodeInvalid, "error.media_processing")
		case r.State != MediaReady:
			return Errorf(CodeInvalid, "error.media_not_attachable")
		}
		seen[r.ID] = true
		// One family per post: photos, or a video (or sound) alone, or files.
		single := r.Kind == MediaVideo || r.Kind == MediaAudio
		if single && len(recs) > 1 || recs[0].Kind != r.Kind && !(isPicture(recs[0].Kind) && isPicture(r.Kind)) {
			return Errorf(CodeInvalid, "error.media_mix")
		}
	}
	return nil
}

func isPicture(k MediaKind) bool { return k == MediaImage || k == MediaGIFV }

func validateText(source, spoiler string) (string, string, error) {
	source = strings.TrimSpace(source)
	spoiler = strings.TrimSpace(spoiler)
	if n := utf8.RuneCountInString(source); n > MaxPostChars {
		return "", "", Errorf(CodeInvalid, "error.post_too_long", MaxPostChars, n)
	}
	if utf8.RuneCountInString(spoiler) > MaxSpoilerChars {
		return "", "", Errorf(CodeInvalid, "error.spoiler_too_long", MaxSpoilerChars)
	}
	if source == "" {
		return "", spoiler, errEmptyPost // the caller may accept it (media)
	}
	return source, spoiler, nil
}

func validateEvent(e *Event) (*Event, error) {
	if e == nil {
		return nil, nil
	}
	e.Title = strings.TrimSpace(e.Title)
	e.Place = strings.TrimSpace(e.Place)
	if e.Title == "" && e.Start.IsZero() && e.Place == "" && e.End == nil {
		return nil, nil
	}
	if e.Title == "" || e.Start.IsZero() {
		return nil, Errorf(CodeInvalid, "error.event_incomplete")
	}
	if utf8.RuneCountInString(e.Title) > MaxEventChars || utf8.RuneCountInString(e.Place) > MaxEventChars {
		return nil, Errorf(CodeInvalid, "error.event_too_long", MaxEventChars)
	}
	if e.End != nil && e.End.Before(e.Start) {
		return nil, Errorf(CodeInvalid, "error.event_ends_before_start")
	}
	return e, nil
}

// Create publishes a post (or a reply) by u.
func (ps *Posts) Create(ctx context.Context, u User, n NewPost) (Post, error) {
	return ps.create(ctx, u, n, "")
}

// create is Create, recording the post under u's claimed idempotency key, when key is
// not empty, in the transaction that writes it (see CreateIdempotent).
func (ps *Posts) create(ctx context.Context, u User, n NewPost, key string) (Post, error) {
	v := ViewerOf(u)
	if err := ps.checkMedia(ctx, u, n.MediaIDs); err != nil {
		return Post{}, err
	}
	source, spoiler, err := validateText(n.Source, n.SpoilerText)
	if errors.Is(err, errEmptyPost) && len(n.MediaIDs) > 0 {
		err = nil // photos alone say enough
	}
	if err != nil {
		return Post{}, err
	}
	if n.Visibility != "" && !n.Visibility.Valid() {
		return Post{}, Errorf(CodeInvalid, "error.visibility_invalid")
	}
	event, err := validateEvent(n.Event)
	if err != nil {
		return Post{}, err
	}
	d := PostDraft{AuthorID: u.ID, Visibility: n.Visibility, SpoilerText: spoiler, Source: source, Event: event,
		IdempotencyKey: key, MediaIDs: n.MediaIDs}
	if d.Visibility == "" {
		d.Visibility = VisCompany
	}
	if n.InReplyToID != 0 {
		parent, err := ps.access(ctx, v, n.InReplyToID, ActReply)
		if err != nil {
			return Post{}, err
		}
		// A reply defaults to its parent's visibility and is never wider; a reply in a
		// group stays in the group.
		if n.Visibility == "" {
			d.Visibility = parent.Visibility
		}
		if parent.Visibility == VisGroup {
			if !parent.Relation.GroupMember { // a company admin reads every group, but posts only in their own
				return Post{}, Errorf(CodeForbidden, "error.group_members_only")
			}
			d.Visibility, d.GroupID = VisGroup, parent.GroupID
		} else {
			d.Visibility = NarrowerOf(d.Visibility, parent.Visibility)
		}
		d.InReplyToID, d.InReplyToAccountID = parent.ID, parent.AuthorID
	} else if err := ps.intoGroup(ctx, u, n, source, &d); err != nil {
		return Post{}, err
	}
	if d.Visibility == VisGroup && d.GroupID == 0 {
		return Post{}, Errorf(CodeInvalid, "error.visibility_invalid") // a group post is written in its group
	}
	if u.Role == RoleGuest && d.Visibility != VisDirect && d.Visibility != VisGroup {
		return Post{}, Errorf(CodeInvalid, "error.guest_visibility")
	}
	r, mentions, err := ps.render(ctx, v, source)
	if err != nil {
		return Post{}, err
	}
	d.HTML, d.Tags = r.HTML, r.Tags
	// A link in a private message may be good for one visit; a post with photos or
	// files shows those, not a link's card (as on Mastodon).
	if d.Visibility != VisDirect && len(n.MediaIDs) == 0 {
		d.CardURL = cardLink(r.HTML)
	}
	d.MentionIDs = withoutID(mentions, u.ID)
	// The parent's author is part of the conversation even when not named, or a
	// direct or followers-only reply could be invisible to the person it answers.
	if d.InReplyToAccountID != 0 && d.InReplyToAccountID != u.ID && !containsID(d.MentionIDs, d.InReplyToAccountID) {
		d.MentionIDs = append(d.MentionIDs, d.InReplyToAccountID)
	}
	if d.Visibility == VisDirect && len(d.MentionIDs) == 0 {
		return Post{}, Errorf(CodeInvalid, "error.direct_needs_mention")
	}
	id, err := ps.Store.CreatePost(ctx, d)
	if err != nil {
		return Post{}, err
	}
	return ps.Store.Post(ctx, v, id)
}

// intoGroup makes d a group post when n names a group, or when the text starts with
// the @handle of a group the author belongs to. Only members post in a group.
func (ps *Posts) intoGroup(ctx context.Context, u User, n NewPost, source string, d *PostDraft) error {
	handle, named := strings.TrimPrefix(n.GroupHandle, "@"), n.GroupHandle != ""
	if !named {
		first, _, _ := strings.Cut(source, " ")
		if !strings.HasPrefix(first, "@") || n.Visibility != "" && n.Visibility != VisCompany {
			return nil
		}
		handle = strings.TrimPrefix(first, "@")
	}
	g, err := ps.Store.Group(ctx, ViewerOf(u), strings.ToLower(handle))
	switch {
	case errors.Is(err, ErrNotFound) && !named:
		return nil // an ordinary mention
	case err != nil:
		return groupNotFound(err)
	case !g.IsMember():
		if !named {
			return nil
		}
		if !mayKnow(u, g) {
			return errGroupNotFound
		}
		return Errorf(CodeForbidden, "error.group_members_only")
	}
	d.Visibility, d.GroupID = VisGroup, g.ID
	return nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func withoutID(ids []int64, id int64) []int64 {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// Edit replaces the text of u's own post, keeping the previous version.
func (ps *Posts) Edit(ctx context.Context, u User, id int64, source, spoiler string) (Post, error) {
	v := ViewerOf(u)
	f, err := ps.access(ctx, v, id, ActSee)
	if err != nil {
		return Post{}, err
	}
	if !f.Relation.Author || f.ID != id {
		return Post{}, Errorf(CodeForbidden, "error.edit_not_yours")
	}
	source, spoiler, err = validateText(source, spoiler)
	if errors.Is(err, errEmptyPost) {
		if old, perr := ps.Store.Post(ctx, v, id); perr == nil && len(old.Media) > 0 {
			err = nil
		}
	}
	if err != nil {
		return Post{}, err
	}
	r, mentions, err := ps.render(ctx, v, source)
	if err != nil {
		return Post{}, err
	}
	old, err := ps.Store.Post(ctx, v, id)
	if err != nil {
		return Post{}, notFound(err)
	}
	if old.Reblog != nil {
		return Post{}, Errorf(CodeForbidden, "error.edit_not_yours")
	}
	d := PostDraft{AuthorID: u.ID, Visibility: f.Visibility, Source: source, HTML: r.HTML, SpoilerText: spoiler,
		Tags: r.Tags, MentionIDs: withoutID(mentions, u.ID), InReplyToAccountID: old.InReplyToAccountID}
	if d.Visibility != VisDirect && len(old.Media) == 0 {
		d.CardURL = cardLink(r.HTML)
	}
	if d.InReplyToAccountID != 0 && d.InReplyToAccountID != u.ID && !containsID(d.MentionIDs, d.InReplyToAccountID) {
		d.MentionIDs = append(d.MentionIDs, d.InReplyToAccountID)
	}
	// Narrow audiences are defined by their mentions: an edit may not widen them by
	// adding people (who would then read the post and its earlier versions), nor
	// leave a direct post with nobody to see it.
	if f.Visibility == VisDirect || f.Visibility == VisFollowers {
		before := map[int64]bool{}
		for _, m := range old.Mentions {
			before[m.ID] = true
		}
		for _, m := range d.MentionIDs {
			if !before[m] {
				return Post{}, Errorf(CodeInvalid, "error.edit_widens_audience")
			}
		}
	}
	if f.Visibility == VisDirect && len(d.MentionIDs) == 0 {
		return Post{}, Errorf(CodeInvalid, "error.direct_needs_mention")
	}
	if err := ps.Store.EditPost(ctx, id, d); err != nil {
		return Post{}, err
	}
	return ps.Store.Post(ctx, v, id)
}

// Delete removes a post: its author, or a moderator or admin who can see it.
func (ps *Posts) Delete(ctx context.Context, u User, id int64) error {
	v := ViewerOf(u)
	f, err := ps.access(ctx, v, id, ActSee)
	if err != nil {
		return err
	}
	if f.ID != id {
		return errPostNotFound // a boost is undone with Unboost
	}
	if !f.Relation.Author && !v.IsModerator() {
		// A group's owners and moderators moderate its posts.
		m, err := ps.Store.Membership(ctx, f.GroupID, u.ID)
		if err != nil {
			return err
		}
		if f.GroupID == 0 || m.State != StateMember || !m.Role.Moderates() {
			return Errorf(CodeForbidden, "error.delete_not_yours")
		}
	}
	return ps.Store.DeletePost(ctx, id)
}

// SetLiked likes or unlikes a post.
func (ps *Posts) SetLiked(ctx context.Context, u User, id int64, liked bool) error {
	f, err := ps.access(ctx, ViewerOf(u), id, ActLike)
	if err != nil {
		return err
	}
	return ps.Store.SetLiked(ctx, u.ID, f.ID, liked)
}

// SetBookmarked bookmarks or forgets a post.
func (ps *Posts) SetBookmarked(ctx context.Context, u User, id int64, on bool) error {
	f, err := ps.access(ctx, ViewerOf(u), id, ActBookmark)
	if err != nil {
		return err
	}
	return ps.Store.SetBookmarked(ctx, u.ID, f.ID, on)
}

// SetBoosted boosts or un-boosts a company-wide post.
func (ps *Posts) SetBoosted(ctx context.Context, u User, id int64, on bool) error {
	if !on {
		f, err := ps.access(ctx, ViewerOf(u), id, ActSee)
		if err != nil {
			return err
		}
		return ps.Store.Unboost(ctx, u.ID, f.ID)
	}
	f, err := ps.access(ctx, ViewerOf(u), id, ActBoost)
	if err != nil {
		return err
	}
	_, err = ps.Store.Boost(ctx, u.ID, f.ID)
	return err
}

// Post returns one post as u sees it.
func (ps *Posts) Post(ctx context.Context, u User, id int64) (Post, error) {
	p, err := ps.Store.Post(ctx, ViewerOf(u), id)
	return p, notFound(err)
}

// Thread returns a post with its visible ancestors and descendants.
func (ps *Posts) Thread(ctx context.Context, u User, id int64) (ancestors []Post, post Post, descendants []Post, err error) {
	if post, err = ps.Post(ctx, u, id); err != nil {
		return nil, Post{}, nil, err
	}
	ancestors, descendants, err = ps.Store.Thread(ctx, ViewerOf(u), id)
	return ancestors, post, conversationOrder(id, descendants), err
}

// conversationOrder puts replies depth first: each reply right after the post it
// answers, siblings oldest first, as a conversation is read. Replies whose parent the
// viewer cannot see follow at the end, oldest first.
func conversationOrder(root int64, replies []Post) []Post {
	children := map[int64][]Post{}
	for _, r := range replies {
		children[r.InReplyToID] = append(children[r.InReplyToID], r)
	}
	out := make([]Post, 0, len(replies))
	placed := map[int64]bool{}
	var walk func(int64)
	walk = func(parent int64) {
		for _, c := range children[parent] { // already oldest first (by id)
			if placed[c.ID] {
				continue
			}
			placed[c.ID] = true
			out = append(out, c)
			walk(c.ID)
		}
	}
	walk(root)
	for _, r := range replies {
		if !placed[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// Edits returns the edit history of a post the member can see.
func (ps *Posts) Edits(ctx context.Context, u User, id int64) ([]PostEdit, error) {
	if _, err := ps.access(ctx, ViewerOf(u), id, ActSee); err != nil {
		return nil, err
	}
	return ps.Store.Edits(ctx, ViewerOf(u), id)
}

// Timeline returns a page of a stream as u sees it.
func (ps *Posts) Timeline(ctx context.Context, u User, s Stream, p Page) ([]Post, error) {
	if s.Kind == StreamTag {
		s.Tag = richtext.NormalizeTag(s.Tag)
	}
	return ps.Store.Timeline(ctx, ViewerOf(u), s, p.Normalize())
}

// UpcomingEvents lists events that have not ended yet.
func (ps *Posts) UpcomingEvents(ctx context.Context, u User) ([]Post, error) {
	return ps.Store.UpcomingEvents(ctx, ViewerOf(u), ps.now(), 50)
}
