package mastoapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Search, and the discovery lists apps load when they start. What search
// finds, and what it may show to whom, is Posts.Search's to say; this maps its
// results and Mastodon's parameters.

func (a *API) searchRoutes() []Route {
	r := func(pattern, scope string, fn handler) Route {
		return Route{Method: "GET", Pattern: pattern, Scope: scope, Handler: a.h(fn)}
	}
	return []Route{
		r("/api/v2/search", "read:search", a.search),
		// Ruche has no trends, suggestions, filters or scheduled posts: in a company,
		// people find each other in the directory and the company stream. The lists
		// answer empty, since apps call them when they start and give up on a 404.
		// (Version 1 of filters is left out: Mastodon's description has it answer one
		// filter where Mastodon answers a list, and apps of Mastodon 4 use version 2.)
		r("/api/v1/trends/tags", "read", emptyList),
		r("/api/v1/trends/statuses", "read", emptyList),
		r("/api/v1/trends/links", "read", emptyList),
		r("/api/v1/suggestions", "read", emptyList),
		r("/api/v2/suggestions", "read", emptyList),
		r("/api/v2/filters", "read:filters", emptyList),
		r("/api/v1/scheduled_statuses", "read:statuses", emptyList),
	}
}

// SearchResults is Mastodon's Search.
type SearchResults struct {
	Accounts []Account `json:"accounts"`
	Statuses []Status  `json:"statuses"`
	Hashtags []Tag     `json:"hashtags"`
}

// maxSearch is how many of each kind Posts.Search finds at most: offset and limit
// page within them.
const maxSearch = 40

// search finds accounts, tags and posts for the member (see Posts.Search: posts are
// found by their link only). type narrows to one kind; limit (20 by default) and
// offset page each kind within the best maxSearch; following keeps the people they
// follow and the groups they belong to; account_id keeps that account's posts;
// resolve is ignored, as nothing is fetched from other instances.
func (a *API) search(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	if !p.Has("q") {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.api_param_missing", "q")
	}
	limit, err := p.Int("limit", 20)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, maxSearch)
	offset, err := p.Int("offset", 0)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.number_invalid")
	}
	author, err := p.ID("account_id")
	if err != nil {
		return nil, err
	}
	out := SearchResults{Accounts: []Account{}, Statuses: []Status{}, Hashtags: []Tag{}}
	q := strings.TrimSpace(p.String("q"))
	if q == "" || offset >= maxSearch {
		return out, nil // nothing asked, or past what search finds
	}
	var kinds []string
	if t := p.String("type"); t != "" {
		kinds = []string{t}
	}
	res, err := a.Posts.Search(r.Context(), u, q, kinds, min(offset+limit, maxSearch))
	if err != nil {
		return nil, err
	}
	if p.Bool("following") {
		res.Accounts = slices.DeleteFunc(res.Accounts, func(acc ruche.Account) bool { return !acc.FollowedByViewer })
	}
	if author != 0 {
		res.Posts = slices.DeleteFunc(res.Posts, func(post ruche.Post) bool { return post.Author.ID != author })
	}
	out.Accounts = a.accounts(window(res.Accounts, offset, limit))
	out.Statuses = a.statuses(window(res.Posts, offset, limit))
	for _, t := range window(res.Tags, offset, limit) {
		out.Hashtags = append(out.Hashtags, a.tag(t))
	}
	return out, nil
}

// window is the part of xs that offset and limit ask for.
func window[T any](xs []T, offset, limit int) []T {
	if offset >= len(xs) {
		return nil
	}
	xs = xs[offset:]
	return xs[:min(limit, len(xs))]
}
