package rucheapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/ruche-hive/ruche/internal/ruche"
)

type groupFields struct {
	Handle      string `json:"handle"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Kind        string `json:"kind"`
}

func (f groupFields) domain() ruche.GroupFields {
	return ruche.GroupFields{Name: f.Name, Description: f.Description, Kind: ruche.GroupKind(f.Kind)}
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	gs, err := a.Groups.List(r.Context(), u)
	out := make([]group, 0, len(gs))
	for _, g := range gs {
		out = append(out, groupJSON(g))
	}
	return out, err
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	var f groupFields
	if err := decode(r, &f); err != nil {
		return nil, err
	}
	g, err := a.Groups.Create(r.Context(), u, f.Handle, f.domain())
	return groupJSON(g), err
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	g, err := a.Groups.Get(r.Context(), u, r.PathValue("handle"))
	return groupJSON(g), err
}

func (a *API) updateGroup(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	var f groupFields
	if err := decode(r, &f); err != nil {
		return nil, err
	}
	if err := a.Groups.Update(r.Context(), u, r.PathValue("handle"), f.domain()); err != nil {
		return nil, err
	}
	return a.getGroup(w, r, u)
}

func (a *API) join(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	if _, err := a.Groups.Join(r.Context(), u, r.PathValue("handle")); err != nil {
		return nil, err
	}
	return a.getGroup(w, r, u)
}

func (a *API) leave(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return struct{}{}, a.Groups.Leave(r.Context(), u, r.PathValue("handle"))
}

func (a *API) invite(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	var body struct {
		Username string `json:"username"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.Groups.Invite(r.Context(), u, r.PathValue("handle"), body.Username)
}

func (a *API) members(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	state := ruche.MembershipState(r.URL.Query().Get("state"))
	if state == ruche.StateNone {
		state = ruche.StateMember
	}
	if state != ruche.StateMember && state != ruche.StateRequested && state != ruche.StateInvited {
		return nil, ruche.Errorf(ruche.CodeInvalid, "error.group_state_invalid")
	}
	ms, err := a.Groups.Members(r.Context(), u, r.PathValue("handle"), state)
	out := make([]member, 0, len(ms))
	for _, m := range ms {
		j := memberJSON(m.Author)
		j.Role, j.State, j.Since = string(m.Role), string(m.State), iso(m.Since)
		out = append(out, j)
	}
	return out, err
}

// memberJSON is a person as the API shows them.
func memberJSON(a ruche.Author) member {
	return member{ID: strconv.FormatInt(a.ID, 10), Username: a.Username, Acct: a.Handle(), DisplayName: a.DisplayName}
}

func (a *API) decide(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return struct{}{}, a.Groups.Decide(r.Context(), u, r.PathValue("handle"), pathUsername(r), r.PathValue("action"))
}

func (a *API) setRole(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	var body struct {
		Role string `json:"role"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	return struct{}{}, a.Groups.SetRole(r.Context(), u, r.PathValue("handle"), pathUsername(r), ruche.GroupRole(body.Role))
}

// posts returns a page of the group's posts, newest first (max_id pages back), for its
// members and company admins.
func (a *API) posts(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	g, err := a.Groups.Get(r.Context(), u, r.PathValue("handle"))
	if err != nil {
		return nil, err
	}
	if !g.IsMember() && u.Role != ruche.RoleAdmin {
		return nil, ruche.Errorf(ruche.CodeForbidden, "error.group_members_only")
	}
	max, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	ps, err := a.Posts.Timeline(r.Context(), u, ruche.Stream{Kind: ruche.StreamGroup, AccountID: g.ID}, ruche.Page{MaxID: max})
	out := make([]post, 0, len(ps))
	for _, p := range ps {
		out = append(out, postJSON(p))
	}
	return out, err
}

// shares lists the partner instances the group is shared with, for anyone who may
// know of the group.
func (a *API) shares(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	return a.Groups.SharedWith(r.Context(), &u, r.PathValue("handle"))
}

// share shares the group with the partner instance named in the path (idempotent) and
// returns the partners it is shared with now.
func (a *API) share(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	if err := a.Groups.Share(r.Context(), &u, r.PathValue("handle"), pathDomain(r)); err != nil {
		return nil, err
	}
	return a.shares(w, r, u)
}

// unshare stops sharing the group with the partner instance named in the path and
// returns the partners it is still shared with.
func (a *API) unshare(w http.ResponseWriter, r *http.Request, u ruche.User) (any, error) {
	if err := a.Groups.Unshare(r.Context(), &u, r.PathValue("handle"), pathDomain(r)); err != nil {
		return nil, err
	}
	return a.shares(w, r, u)
}

// pathDomain is the partner's domain in the path; a client may have escaped the colon
// before a port.
func pathDomain(r *http.Request) string {
	d := r.PathValue("domain")
	if u, err := url.PathUnescape(d); err == nil {
		return u
	}
	return d
}

// pathUsername is the member's handle in the path ("zoe" or "zoe@hub.example:8443"); a
// client may have escaped its "@" or the colon before a port.
func pathUsername(r *http.Request) string {
	n := r.PathValue("username")
	if u, err := url.PathUnescape(n); err == nil {
		return u
	}
	return n
}
