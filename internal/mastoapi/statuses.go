package mastoapi

import (
	"context"
	"net/http"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// The statuses endpoints: writing, reading, editing and deleting posts, and what a
// member does to one (favourite, reblog, bookmark), with the streams of their
// favourites and bookmarks. Every post is read through Posts, so through the gate: a
// post the member may not see is 404, whatever they ask to do with it.

// maxStatusesByID bounds GET /api/v1/statuses?id[]=…: apps ask for a screenful.
const maxStatusesByID = 40

func (a *API) statusRoutes() []Route {
	r := func(method, pattern, scope string, fn handler) Route {
		return Route{Method: method, Pattern: pattern, Scope: scope, Handler: a.h(fn)}
	}
	const st = "/api/v1/statuses/{id}"
	return []Route{
		r("POST", "/api/v1/statuses", "write:statuses", a.createStatus),
		r("GET", "/api/v1/statuses", "read:statuses", a.statusesByID),
		r("GET", st, "read:statuses", a.getStatus),
		r("PUT", st, "write:statuses", a.editStatus),
		r("DELETE", st, "write:statuses", a.deleteStatus),
		r("GET", st+"/source", "read:statuses", a.statusSource),
		r("GET", st+"/history", "read:statuses", a.statusHistoryOf),
		r("GET", st+"/context", "read:statuses", a.statusContext),
		r("POST", st+"/favourite", "write:favourites", a.act(func(r *http.Request, u ruche.User, id int64) error {
			return a.Posts.SetLiked(r.Context(), u, id, true)
		})),
		r("POST", st+"/unfavourite", "write:favourites", a.act(func(r *http.Request, u ruche.User, id int64) error {
			return a.Posts.SetLiked(r.Context(), u, id, false)
		})),
		r("POST", st+"/reblog", "write:statuses", a.reblog),
		r("POST", st+"/unreblog", "write:statuses", a.act(func(r *http.Request, u ruche.User, id int64) error {
			return a.Posts.SetBoosted(r.Context(), u, id, false)
		})),
		r("POST", st+"/bookmark", "write:bookmarks", a.act(func(r *http.Request, u ruche.User, id int64) error {
			return a.Posts.SetBookmarked(r.Context(), u, id, true)
		})),
		r("POST", st+"/unbookmark", "write:bookmarks", a.act(func(r *http.Request, u ruche.User, id int64) error {
			return a.Posts.SetBookmarked(r.Context(), u, id, false)
		})),
		r("POST", st+"/pin", "write:accounts", a.act(func(r *http.Request, u ruche.User, id int64) error {
			return a.setPinned(r, u, id, true)
		})),
		r("POST", st+"/unpin", "write:accounts", a.act(func(r *http.Request, u ruche.User, id int64) error {
			return a.setPinned(r, u, id, false)
		})),
		// Muting a conversation silences its notifications in Mastodon. Ruche has no
		// such switch yet; answering with the status unchanged (muted: false) lets apps
		// show that nothing changed instead of an error.
		r("POST", st+"/mute", "write:mutes", a.act(nil)),
		r("POST", st+"/unmute", "write:mutes", a.act(nil)),
		r("GET", st+"/favourited_by", "read:accounts", a.favouritedBy),
		r("GET", st+"/reblogged_by", "read:accounts", a.rebloggedBy),
		r("GET", "/api/v1/favourites", "read:favourites", a.favourites),
		r("GET", "/api/v1/bookmarks", "read:bookmarks", a.bookmarks),
	}
}

// createStatus posts what an app wrote. Text is Markdown, as in the web UI; a status
// that starts with the @handle of a group the member belongs to goes to that group,
// and a reply to a group post stays in its group (both decided by Posts.Create). An
// Idempotency-Key makes a retried request return the first one's post.
func (a *API) createStatus(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	if err := refuseUnsupported(p); err != nil {
		return nil, err
	}
	if p.String("scheduled_at") != "" {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.api_scheduled_unsupported")
	}
	vis, ok := visibilityFrom(p.String("visibility"))
	if !ok {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.visibility_invalid")
	}
	parent, err := p.ID("in_reply_to_id")
	if err != nil {
		return nil, err
	}
	attach, err := mediaIDs(p)
	if err != nil {
		return nil, err
	}
	// language is ignored: posts carry none. sensitive is too: Ruche has no separate
	// mark for media, and a content warning (spoiler_text) hides the text and the
	// attachments' previews in apps, as in Mastodon.
	post, err := a.Posts.CreateIdempotent(r.Context(), u, r.Header.Get("Idempotency-Key"), ruche.NewPost{
		Source: p.String("status"), SpoilerText: p.String("spoiler_text"), Visibility: vis, InReplyToID: parent,
		MediaIDs: attach,
	})
	if err != nil {
		return nil, err
	}
	return a.status(post), nil
}

// refuseUnsupported answers what a status may carry in Mastodon and not in Ruche:
// polls. Silently dropping them would publish a post other than the one the member
// wrote.
func refuseUnsupported(p params) error {
	if p.String("poll") != "" {
		return ruche.Errorf(ruche.CodeInvalid, "error.api_polls_unsupported")
	}
	for _, o := range p.List("poll[options]") {
		if o != "" {
			return ruche.Errorf(ruche.CodeInvalid, "error.api_polls_unsupported")
		}
	}
	return nil
}

// statusesByID returns the statuses among id[] that the member may see, in the order
// asked; unknown, hidden and malformed ids are left out, as Mastodon does.
func (a *API) statusesByID(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	out := []Status{}
	seen := map[int64]bool{}
	for _, s := range p.List("id") {
		if len(seen) == maxStatusesByID {
			break
		}
		n, err := id(s)
		if err != nil || seen[n] {
			continue
		}
		seen[n] = true
		post, err := a.Posts.Post(r.Context(), u, n)
		switch {
		case ruche.ErrorCode(err) == ruche.CodeNotFound:
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, a.status(post))
	}
	return out, nil
}

// post returns the post named by the path as u sees it: a boost, if the id is a boost's.
func (a *API) post(r *http.Request, u ruche.User) (ruche.Post, error) {
	n, err := id(r.PathValue("id"))
	if err != nil {
		return ruche.Post{}, err
	}
	return a.Posts.Post(r.Context(), u, n)
}

// original returns the post named by the path, or the post it boosts: what is
// favourited, bookmarked, edited or read in a thread is always the original.
func (a *API) original(r *http.Request, u ruche.User) (ruche.Post, error) {
	p, err := a.post(r, u)
	if err == nil && p.Reblog != nil {
		return *p.Reblog, nil
	}
	return p, err
}

func (a *API) getStatus(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := a.post(r, u)
	if err != nil {
		return nil, err
	}
	return a.status(p), nil
}

// editStatus replaces the text and content warning. Mastodon clears a content warning
// the request leaves out, so this does too.
func (a *API) editStatus(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	n, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	if err := refuseUnsupported(p); err != nil {
		return nil, err
	}
	if err := a.sameMedia(r, u, n, p); err != nil {
		return nil, err
	}
	post, err := a.Posts.Edit(r.Context(), u, n, p.String("status"), p.String("spoiler_text"))
	if err != nil {
		return nil, err
	}
	return a.status(post), nil
}

// sameMedia accepts the media_ids of an edit when they are the post's own: apps send
// them with every edit. An edit keeps a post's attachments, so asking for others is
// refused with the reason rather than ignored.
func (a *API) sameMedia(r *http.Request, u ruche.User, n int64, p params) error {
	ids, err := mediaIDs(p)
	if err != nil || len(ids) == 0 {
		return err
	}
	post, err := a.Posts.Post(r.Context(), u, n)
	if err != nil {
		return err
	}
	if len(ids) != len(post.Media) {
		return ruche.Errorf(ruche.CodeInvalid, "error.api_media_edit")
	}
	for i, m := range post.Media {
		if ids[i] != m.ID {
			return ruche.Errorf(ruche.CodeInvalid, "error.api_media_edit")
		}
	}
	return nil
}

// deleteStatus deletes a post and answers with it, its source in text, so that apps
// can offer "delete and redraft".
func (a *API) deleteStatus(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := a.post(r, u)
	if err != nil {
		return nil, err
	}
	// Deleting one's own boost by its id undoes it, as in Mastodon.
	if p.Reblog != nil && p.Author.ID == u.ID {
		if err := a.Posts.SetBoosted(r.Context(), u, p.Reblog.ID, false); err != nil {
			return nil, err
		}
		return a.status(p), nil
	}
	if err := a.Posts.Delete(r.Context(), u, p.ID); err != nil {
		return nil, err
	}
	s := a.status(p)
	s.Text = &p.Source
	return s, nil
}

func (a *API) statusSource(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := a.original(r, u)
	if err != nil {
		return nil, err
	}
	// The source is for editing, which only the author may do; it can hold what the
	// rendered post does not show (unused Markdown link references), as in the web UI.
	if p.Author.ID != u.ID {
		return nil, ruche.Errorf(ruche.CodeForbidden, "error.edit_not_yours")
	}
	return StatusSource{ID: idString(p.ID), Text: p.Source, SpoilerText: p.SpoilerText}, nil
}

func (a *API) statusHistoryOf(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := a.original(r, u)
	if err != nil {
		return nil, err
	}
	earlier, err := a.Posts.Edits(r.Context(), u, p.ID)
	if err != nil {
		return nil, err
	}
	return a.statusHistory(p, earlier), nil
}

func (a *API) statusContext(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := a.original(r, u)
	if err != nil {
		return nil, err
	}
	ancestors, _, descendants, err := a.Posts.Thread(r.Context(), u, p.ID)
	if err != nil {
		return nil, err
	}
	return StatusContext{Ancestors: a.statuses(ancestors), Descendants: a.statuses(descendants)}, nil
}

// act adapts something done to a post (nil: nothing) into Mastodon's answer: the
// original post, as the member now sees it. The post is looked up first so that a
// boost's id acts on what it boosts, and so that undoing one's own boost by its id
// still finds the post.
func (a *API) act(do func(r *http.Request, u ruche.User, id int64) error) handler {
	return func(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
		p, err := a.original(r, u)
		if err != nil {
			return nil, err
		}
		if do != nil {
			if err := do(r, u, p.ID); err != nil {
				return nil, err
			}
			if p, err = a.Posts.Post(r.Context(), u, p.ID); err != nil {
				return nil, err
			}
		}
		return a.status(p), nil
	}
}

// reblog answers with the boost itself, the original in its reblog, as Mastodon does.
// Only company-wide posts may be boosted; anything else is a 422 with the reason.
func (a *API) reblog(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := a.original(r, u)
	if err != nil {
		return nil, err
	}
	boost, err := a.Posts.Boost(r.Context(), u, p.ID)
	if err != nil {
		return nil, err
	}
	return a.status(boost), nil
}

// setPinned maps Mastodon's pin onto Ruche's one kind of pin: a group's owners and
// moderators pin its posts, which apps then show pinned on the group's account.
// Ruche has no pins on a person's profile, so other posts are refused with the reason.
func (a *API) setPinned(r *http.Request, u ruche.User, id int64, pinned bool) error {
	p, err := a.Posts.Post(r.Context(), u, id)
	if err != nil {
		return err
	}
	if p.Group == nil {
		return ruche.Errorf(ruche.CodeInvalid, "error.api_pin_group_only")
	}
	return a.Groups.SetPinned(r.Context(), u, p.Group.Handle, p.ID, pinned)
}

func (a *API) favouritedBy(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.accountPage(w, r, u, a.Posts.FavouritedBy, 20)
}

func (a *API) rebloggedBy(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.accountPage(w, r, u, a.Posts.RebloggedBy, 20)
}

// favourites is the stream of the posts the member liked, newest like first, paged
// by the likes' ids.
func (a *API) favourites(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.markedStream(w, r, u, a.Posts.Favourites)
}

// bookmarks is the stream of the posts the member bookmarked that they may still see,
// newest bookmark first, paged by bookmark id as Mastodon's is.
func (a *API) bookmarks(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.markedStream(w, r, u, a.Posts.Bookmarks)
}

// markedStream answers a page of the posts the member marked (liked, bookmarked),
// newest mark first: the Link header carries the marks' ids, which the posts do not.
func (a *API) markedStream(w http.ResponseWriter, r *http.Request, u ruche.User,
	read func(context.Context, ruche.User, ruche.Page) ([]ruche.Post, ruche.PageBounds, error)) (any, error) {
	_, pg, err := pagedParams(r, 40)
	if err != nil {
		return nil, err
	}
	posts, bounds, err := read(r.Context(), u, pg)
	if err != nil {
		return nil, err
	}
	a.link(w, r, bounds.Newest, bounds.Oldest)
	return a.statuses(posts), nil
}
