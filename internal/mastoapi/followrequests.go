package mastoapi

import (
	"net/http"
	"slices"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// Follow requests are requests to join the closed groups the member moderates: inside
// the company people follow each other without asking, so a group's join request is
// the only thing to accept or turn down. Apps show the request (a "follow_request"
// notification) with Accept and Reject buttons, which land here. Mastodon's model names
// the requester only, not the group: accepting lets them into every group of the
// member's where they are waiting, and rejecting turns all those requests down.

func (a *API) followRequestRoutes() []Route {
	return []Route{
		{Method: "GET", Pattern: "/api/v1/follow_requests", Scope: "read:follows", Handler: a.h(a.followRequests)},
		{Method: "POST", Pattern: "/api/v1/follow_requests/{id}/authorize", Scope: "write:follows", Handler: a.h(a.authorizeRequest)},
		{Method: "POST", Pattern: "/api/v1/follow_requests/{id}/reject", Scope: "write:follows", Handler: a.h(a.rejectRequest)},
	}
}

// pendingRequest is one person waiting to join one of the member's groups.
type pendingRequest struct {
	group  ruche.Group
	member ruche.GroupMembership
}

// pending lists the requests waiting in the groups u moderates, newest first.
func (a *API) pending(r *http.Request, u ruche.User) ([]pendingRequest, error) {
	groups, err := a.Groups.List(r.Context(), u)
	if err != nil {
		return nil, err
	}
	var out []pendingRequest
	for _, g := range groups {
		if !g.Moderated() || g.Kind == ruche.GroupOpen {
			continue
		}
		ms, err := a.Groups.Members(r.Context(), u, g.Handle, ruche.StateRequested)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, pendingRequest{group: g, member: m})
		}
	}
	slices.SortFunc(out, func(x, y pendingRequest) int { return y.member.Since.Compare(x.member.Since) })
	return out, nil
}

// followRequests is GET /api/v1/follow_requests: each person waiting, once.
func (a *API) followRequests(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	limit, err := p.Int("limit", 40)
	if err != nil {
		return nil, err
	}
	reqs, err := a.pending(r, u)
	if err != nil {
		return nil, err
	}
	var ids []int64
	people := map[int64]ruche.Author{}
	for _, q := range reqs {
		if !slices.Contains(ids, q.member.ID) && len(ids) < max(1, min(limit, 80)) {
			ids = append(ids, q.member.ID)
			people[q.member.ID] = q.member.Author
		}
	}
	accs, err := a.Posts.AccountsByID(r.Context(), u, ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]ruche.Account{}
	for _, acc := range accs {
		byID[acc.ID] = acc
	}
	out := []Account{}
	for _, id := range ids { // newest request first
		if acc, ok := byID[id]; ok {
			out = append(out, a.account(acc))
		} else {
			// A guest moderator knows the requester from the group's list alone.
			out = append(out, a.author(people[id]))
		}
	}
	return out, nil
}

func (a *API) authorizeRequest(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.decideRequests(r, u, "approve")
}

func (a *API) rejectRequest(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.decideRequests(r, u, "reject")
}

// decideRequests approves or rejects every request of the account in the member's
// groups; none waiting is 404, as in Mastodon.
func (a *API) decideRequests(r *http.Request, u ruche.User, decision string) (any, error) {
	n, err := id(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	reqs, err := a.pending(r, u)
	if err != nil {
		return nil, err
	}
	found := false
	for _, q := range reqs {
		if q.member.ID != n {
			continue
		}
		found = true
		if err := a.Groups.Decide(r.Context(), u, q.group.Acct(), q.member.Handle(), decision); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, ruche.Errorf(ruche.CodeNotFound, "error.not_found")
	}
	rs, err := a.Posts.Relationships(r.Context(), u, []int64{n})
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return relationship(ruche.Relationship{ID: n}), nil
	}
	return relationship(rs[0]), nil
}
