package mastoapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Timelines, lists and conversations: the streams apps read. Each is a stream of the
// domain, gated there; this file only maps Mastodon's names and pages onto them.
//
// Mastodon's public timeline is the company stream, with or without local=true:
// nothing in Ruche is public to the world, and its company stream is what "local"
// means to a member. Asking for remote posts only, or for posts with media (there are
// none yet), finds nothing.

func (a *API) timelineRoutes() []Route {
	const readLists, writeLists = "read:lists", "write:lists"
	routes := []Route{
		{Method: "GET", Pattern: "/api/v1/timelines/home", Scope: "read:statuses", Handler: a.h(a.homeTimeline)},
		{Method: "GET", Pattern: "/api/v1/timelines/public", Scope: "read:statuses", Handler: a.h(a.publicTimeline)},
		{Method: "GET", Pattern: "/api/v1/timelines/tag/{hashtag}", Scope: "read:statuses", Handler: a.h(a.tagTimeline)},
		{Method: "GET", Pattern: "/api/v1/timelines/list/{list_id}", Scope: readLists, Handler: a.h(a.listTimeline)},

		{Method: "GET", Pattern: "/api/v1/lists", Scope: readLists, Handler: a.h(a.lists)},
		{Method: "POST", Pattern: "/api/v1/lists", Scope: writeLists, Handler: a.h(a.createList)},
		{Method: "GET", Pattern: "/api/v1/lists/{id}", Scope: readLists, Handler: a.h(a.getList)},
		{Method: "PUT", Pattern: "/api/v1/lists/{id}", Scope: writeLists, Handler: a.h(a.updateList)},
		{Method: "DELETE", Pattern: "/api/v1/lists/{id}", Scope: writeLists, Handler: a.h(onID(a.Posts.DeleteList))},
		{Method: "GET", Pattern: "/api/v1/lists/{id}/accounts", Scope: readLists, Handler: a.h(a.listAccounts)},
		{Method: "POST", Pattern: "/api/v1/lists/{id}/accounts", Scope: writeLists, Handler: a.h(a.addToList)},
		{Method: "DELETE", Pattern: "/api/v1/lists/{id}/accounts", Scope: writeLists, Handler: a.h(a.removeFromList)},

		{Method: "GET", Pattern: "/api/v1/conversations", Scope: "read:statuses", Handler: a.h(a.conversations)},
		{Method: "DELETE", Pattern: "/api/v1/conversations/{id}", Scope: "write:conversations", Handler: a.h(onID(a.Posts.HideConversation))},
		{Method: "POST", Pattern: "/api/v1/conversations/{id}/read", Scope: "write:conversations", Handler: a.h(a.readConversation)},
	}
	return append(routes, a.searchRoutes()...)
}

// stream answers a page of posts with its Link header; read gets the page asked for.
func (a *API) stream(w http.ResponseWriter, r *http.Request, read func(p params, pg ruche.Page) ([]ruche.Post, error)) (any, error) {
	p, pg, err := pagedParams(r, 40)
	if err != nil {
		return nil, err
	}
	posts, err := read(p, pg)
	if err != nil {
		return nil, err
	}
	if len(posts) > 0 {
		a.link(w, r, posts[0].ID, posts[len(posts)-1].ID)
	}
	return a.encodeStatuses(posts)
}

func (a *API) homeTimeline(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.stream(w, r, func(p params, pg ruche.Page) ([]ruche.Post, error) {
		return a.Posts.Timeline(r.Context(), u, ruche.Stream{Kind: ruche.StreamHome}, pg)
	})
}

// nothingThere reports whether a public or tag timeline asks only for what Ruche
// does not have: posts from other instances.
func nothingThere(p params) bool { return p.Bool("remote") }

func (a *API) publicTimeline(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.sharedStream(w, r, u, ruche.Stream{Kind: ruche.StreamCompany})
}

// tagTimeline is every post with the tag that the member may see, wherever it was
// posted: the tag's whole history, as on the tag's page. any[], all[] and none[]
// (more tags) are not supported and ignored.
func (a *API) tagTimeline(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	tag := strings.TrimPrefix(strings.TrimSpace(r.PathValue("hashtag")), "#")
	if tag == "" {
		return a.stream(w, r, func(params, ruche.Page) ([]ruche.Post, error) { return nil, nil })
	}
	return a.sharedStream(w, r, u, ruche.Stream{Kind: ruche.StreamTag, Tag: tag})
}

// sharedStream answers the public or a tag timeline; only_media keeps the posts with
// attachments, reading on while they are few (filteredStream).
func (a *API) sharedStream(w http.ResponseWriter, r *http.Request, u ruche.User, s ruche.Stream) (any, error) {
	p, pg, err := pagedParams(r, 40)
	if err != nil {
		return nil, err
	}
	if nothingThere(p) {
		return a.stream(w, r, func(params, ruche.Page) ([]ruche.Post, error) { return nil, nil })
	}
	if !p.Bool("only_media") {
		return a.stream(w, r, func(_ params, pg ruche.Page) ([]ruche.Post, error) {
			return a.Posts.Timeline(r.Context(), u, s, pg)
		})
	}
	posts, newest, oldest, err := a.filteredStream(r.Context(), u, s, pg, []func(ruche.Post) bool{hasMedia})
	if err != nil {
		return nil, err
	}
	a.link(w, r, newest, oldest)
	return a.encodeStatuses(posts)
}

func (a *API) listTimeline(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	lid, err := id(r.PathValue("list_id"))
	if err != nil {
		return nil, err
	}
	return a.stream(w, r, func(p params, pg ruche.Page) ([]ruche.Post, error) {
		return a.Posts.ListTimeline(r.Context(), u, lid, pg)
	})
}

func (a *API) lists(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	ls, err := a.Posts.Lists(r.Context(), u)
	if err != nil {
		return nil, err
	}
	return each(ls, list), nil
}

func (a *API) getList(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	lid, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	l, err := a.Posts.List(r.Context(), u, lid)
	if err != nil {
		return nil, err
	}
	return list(l), nil
}

// listFields reads title, replies_policy and exclusive over f: what is not sent
// keeps f's value (Mastodon's PUT changes only what it is given).
func listFields(p params, f ruche.ListFields) ruche.ListFields {
	if p.Has("title") {
		f.Title = p.String("title")
	}
	if p.Has("replies_policy") {
		f.RepliesPolicy = ruche.RepliesPolicy(p.String("replies_policy"))
	}
	if p.Has("exclusive") {
		f.Exclusive = p.Bool("exclusive")
	}
	return f
}

func (a *API) createList(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	l, err := a.Posts.CreateList(r.Context(), u, listFields(p, ruche.ListFields{}))
	if err != nil {
		return nil, err
	}
	return list(l), nil
}

func (a *API) updateList(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	lid, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	l, err := a.Posts.List(r.Context(), u, lid)
	if err != nil {
		return nil, err
	}
	f := listFields(p, ruche.ListFields{Title: l.Title, RepliesPolicy: l.RepliesPolicy, Exclusive: l.Exclusive})
	if l, err = a.Posts.UpdateList(r.Context(), u, lid, f); err != nil {
		return nil, err
	}
	return list(l), nil
}

// listAccounts pages the list's members: 40 by default, at most 40 (Mastodon allows
// 80, and limit=0 for all at once; apps follow the Link header either way).
func (a *API) listAccounts(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	lid, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	p, pg, err := pagedParams(r, 40)
	if err != nil {
		return nil, err
	}
	if n, _ := p.Int("limit", 0); n <= 0 {
		pg.Limit = 40
	}
	as, err := a.Posts.ListAccounts(r.Context(), u, lid, pg)
	if err != nil {
		return nil, err
	}
	if len(as) > 0 {
		a.link(w, r, as[0].ID, as[len(as)-1].ID)
	}
	return each(as, a.author), nil
}

// accountIDs reads account_ids[]: at least one, each a whole number.
func accountIDs(p params) ([]int64, error) {
	raw := p.List("account_ids")
	if len(raw) == 0 {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.api_param_missing", "account_ids[]")
	}
	out := make([]int64, 0, len(raw))
	for _, s := range raw {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n <= 0 {
			return nil, ruche.Errorf(ruche.CodeInvalid, "error.id_invalid")
		}
		out = append(out, n)
	}
	return out, nil
}

func (a *API) addToList(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.changeList(r, u, a.Posts.AddToList)
}

func (a *API) removeFromList(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.changeList(r, u, a.Posts.RemoveFromList)
}

// changeList adds or removes the accounts of account_ids[]. Someone else's list is
// not found before the ids are read, so that a bad request says nothing about it.
func (a *API) changeList(r *http.Request, u ruche.User, change func(ctx context.Context, u ruche.User, id int64, ids []int64) error) (any, error) {
	lid, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if _, err := a.Posts.List(r.Context(), u, lid); err != nil {
		return nil, err
	}
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	ids, err := accountIDs(p)
	if err != nil {
		return nil, err
	}
	return struct{}{}, change(r.Context(), u, lid, ids)
}

// conversations pages the member's conversations by their last posts' ids, as
// Mastodon does.
func (a *API) conversations(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	_, pg, err := pagedParams(r, 40)
	if err != nil {
		return nil, err
	}
	cs, err := a.Posts.Conversations(r.Context(), u, pg)
	if err != nil {
		return nil, err
	}
	if len(cs) > 0 {
		a.link(w, r, cs[0].LastPost.ID, cs[len(cs)-1].LastPost.ID)
	}
	return each(cs, a.conversation), nil
}

// readConversation marks a conversation read and answers it. A hidden conversation
// is not found, as in Mastodon, where hiding one deletes it.
func (a *API) readConversation(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	cid, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	c, err := a.Posts.Conversation(r.Context(), u, cid)
	if err != nil {
		return nil, err
	}
	if err := a.Posts.MarkConversationRead(r.Context(), u, cid); err != nil {
		return nil, err
	}
	c.Unread = false
	return a.conversation(c), nil
}
