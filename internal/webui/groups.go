package webui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
)

type groupsData struct {
	Groups []ruche.Group
	Form   ruche.GroupFields
	Handle string
	Kinds  []ruche.GroupKind
	// CanFind: this node federates, so its members may look up a partner's group;
	// Find is what was typed, given back after a failed look-up.
	CanFind bool
	Find    string
}

var groupKinds = []ruche.GroupKind{ruche.GroupOpen, ruche.GroupClosed, ruche.GroupSecret}

// GroupList is the group directory: open and closed groups, and the secret ones the
// member belongs to.
func (ui *UI) GroupList(w http.ResponseWriter, r *http.Request) error {
	return ui.groupList(w, r, http.StatusOK, groupsData{Form: ruche.GroupFields{Kind: ruche.GroupOpen}}, "")
}

func (ui *UI) groupList(w http.ResponseWriter, r *http.Request, status int, d groupsData, errMsg string) error {
	gs, err := ui.Groups.List(r.Context(), *viewer(r))
	if err != nil {
		return err
	}
	d.Groups, d.Kinds, d.CanFind = gs, groupKinds, ui.Federation != nil
	ui.render(w, r, status, "groups", "groups.title", d, errMsg)
	return nil
}

// CreateGroup makes a group with the member as its owner.
func (ui *UI) CreateGroup(w http.ResponseWriter, r *http.Request) error {
	d := groupsData{Handle: r.PostFormValue("handle"), Form: ruche.GroupFields{
		Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Kind: ruche.GroupKind(r.PostFormValue("kind"))}}
	g, err := ui.Groups.Create(r.Context(), *viewer(r), d.Handle, d.Form)
	if code := ruche.ErrorCode(err); code == ruche.CodeInvalid || code == ruche.CodeConflict {
		return ui.groupList(w, r, code.HTTPStatus(), d, ui.message(r, err))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/groups/"+url.PathEscape(g.Handle), http.StatusSeeOther)
	return nil
}

// FindGroup looks up a group a partner instance shares with this one by its
// @handle@domain, keeps it here, and opens its page. Every failure (not a partner, not
// shared with us, no such group, a malformed address) gets the one message: which of
// them it was is the partner's business. Guests come from outside the company and do
// not open it to other instances' groups.
func (ui *UI) FindGroup(w http.ResponseWriter, r *http.Request) error {
	if ui.Federation == nil {
		return ruche.Errorf(ruche.CodeNotFound, "error.page_not_found")
	}
	ctx, u := r.Context(), *viewer(r)
	if u.Role == ruche.RoleGuest {
		return ruche.Errorf(ruche.CodeForbidden, "error.forbidden")
	}
	typed := strings.TrimSpace(r.PostFormValue("acct"))
	id, err := ui.Federation.ResolveGroup(ctx, typed)
	if code := ruche.ErrorCode(err); code == ruche.CodeNotFound || code == ruche.CodeInvalid {
		d := groupsData{Form: ruche.GroupFields{Kind: ruche.GroupOpen}, Find: typed}
		return ui.groupList(w, r, http.StatusNotFound, d, i18n.FromContext(ctx, ui.Catalog).T("groups.find_none"))
	}
	if err != nil {
		return err
	}
	// ResolveGroup names the group by id; its handle here is the actor's, which the
	// address typed need not spell the same way.
	gs, err := ui.Groups.List(ctx, u)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.ID == id {
			http.Redirect(w, r, "/groups/"+url.PathEscape(g.Acct()), http.StatusSeeOther)
			return nil
		}
	}
	return ruche.Errorf(ruche.CodeNotFound, "error.group_not_found")
}

// groupHandle is the group named in the path: "design", or "design@acme.example" for a
// partner's group, whose "@" or port's colon a client may have escaped.
func groupHandle(r *http.Request) string { return pathSegment(r, "handle") }

// pathSegment is the path parameter name, unescaped: the router matches the raw path
// when the request escaped something, and hands the segment over as it came.
func pathSegment(r *http.Request, name string) string {
	v := r.PathValue(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

type groupData struct {
	Group    ruche.Group
	Members  []ruche.GroupMembership
	Requests []ruche.GroupMembership
	Invited  []ruche.GroupMembership
	Posts    []ruche.Post
	Older    string
	Compose  *composeData
	Live     *ruche.Stream
	Pinned   []ruche.Post
	Kinds    []ruche.GroupKind
	Roles    []ruche.GroupRole
	CanRead  bool
	// SharedList names the partner instances the group is shared with, for the banner
	// every visitor of the page sees.
	SharedList string
	// CanShare: the viewer may share the group; ShareWith are the active partners it
	// could be shared with now.
	CanShare  bool
	ShareWith []string
	// Manages: the viewer runs the group here, so the page offers its management forms.
	// Never for a partner's group: that belongs to its home instance.
	Manages bool
	// Pictures is the form for the group's pictures, for its managers when the server
	// stores files.
	Pictures *pictureFormView
}

// Group is a group's page: about, membership buttons, stream, members and, for its
// moderators, the requests and invitations.
func (ui *UI) Group(w http.ResponseWriter, r *http.Request) error {
	return ui.groupPage(w, r, groupHandle(r), http.StatusOK, "")
}

func (ui *UI) groupPage(w http.ResponseWriter, r *http.Request, handle string, status int, errMsg string) error {
	ctx, u := r.Context(), *viewer(r)
	g, err := ui.Groups.Get(ctx, u, handle)
	if err != nil {
		return err
	}
	d := groupData{Group: g, Kinds: groupKinds, Roles: []ruche.GroupRole{ruche.GroupOwner, ruche.GroupModerator, ruche.GroupMember}}
	d.CanRead = g.IsMember() || u.Role == ruche.RoleAdmin
	d.SharedList = strings.Join(g.SharedWith, ", ")
	local := g.Domain == ""
	d.Manages = local && (g.Moderated() || u.Role == ruche.RoleAdmin)
	if d.Manages && ui.Media != nil {
		d.Pictures = &pictureFormView{Action: "/groups/pictures", Group: g.Handle, Avatar: g.Avatar, Header: g.Header}
	}
	if d.CanShare = local && ui.Groups.MayShare(u, g); d.CanShare {
		if d.ShareWith, err = ui.Groups.ShareCandidates(ctx, &u, g.Handle); err != nil {
			return err
		}
	}
	if d.CanRead {
		pg := pageParam(r)
		s := ruche.Stream{Kind: ruche.StreamGroup, AccountID: g.ID}
		if d.Posts, err = ui.Posts.Timeline(ctx, u, s, pg); err != nil {
			return err
		}
		d.Older = olderLink(r, d.Posts, pg.Limit)
		if pg.MaxID == 0 {
			d.Live = &s
			if d.Pinned, err = ui.Groups.Pinned(ctx, u, g); err != nil {
				return err
			}
		}
	}
	// A partner's group is named by its whole acct here, in addresses as in calls.
	if g.IsMember() {
		d.Compose = newCompose("/groups/" + url.PathEscape(g.Acct()))
		d.Compose.Group, d.Compose.Audience = g.Acct(), groupAudience(g)
	}
	if d.Members, err = ui.Groups.Members(ctx, u, g.Acct(), ruche.StateMember); err != nil && ruche.ErrorCode(err) != ruche.CodeForbidden {
		return err
	}
	if d.Manages {
		if d.Requests, err = ui.Groups.Members(ctx, u, g.Handle, ruche.StateRequested); err != nil {
			return err
		}
		if d.Invited, err = ui.Groups.Members(ctx, u, g.Handle, ruche.StateInvited); err != nil {
			return err
		}
	}
	ui.render(w, r, status, "group", "groups.title", d, errMsg)
	return nil
}

// groupBack returns to the group's page with a flash.
func groupBack(w http.ResponseWriter, r *http.Request, handle, done string) error {
	http.Redirect(w, r, "/groups/"+url.PathEscape(handle)+"?done="+done, http.StatusSeeOther)
	return nil
}

// JoinGroup joins, asks to join, or accepts an invitation.
func (ui *UI) JoinGroup(w http.ResponseWriter, r *http.Request) error {
	h := groupHandle(r)
	state, err := ui.Groups.Join(r.Context(), *viewer(r), h)
	if err != nil {
		return err
	}
	if state == ruche.StateRequested && strings.Contains(strings.TrimPrefix(h, "@"), "@") {
		// A partner's group: its home instance answers, not moderators here.
		return groupBack(w, r, h, "group_remote_requested")
	}
	if state == ruche.StateRequested {
		return groupBack(w, r, h, "group_requested")
	}
	return groupBack(w, r, h, "group_joined")
}

// LeaveGroup leaves (or withdraws a request, or declines an invitation).
func (ui *UI) LeaveGroup(w http.ResponseWriter, r *http.Request) error {
	if err := ui.Groups.Leave(r.Context(), *viewer(r), groupHandle(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/groups?done=group_left", http.StatusSeeOther)
	return nil
}

// InviteToGroup invites a person by username.
func (ui *UI) InviteToGroup(w http.ResponseWriter, r *http.Request) error {
	h := groupHandle(r)
	if err := ui.Groups.Invite(r.Context(), *viewer(r), h, r.PostFormValue("username")); err != nil {
		return err
	}
	return groupBack(w, r, h, "group_invited")
}

// EditGroup saves the group's name, description and kind.
func (ui *UI) EditGroup(w http.ResponseWriter, r *http.Request) error {
	h := groupHandle(r)
	f := ruche.GroupFields{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"), Kind: ruche.GroupKind(r.PostFormValue("kind"))}
	if err := ui.Groups.Update(r.Context(), *viewer(r), h, f); err != nil {
		return err
	}
	return groupBack(w, r, h, "saved")
}

// GroupMember applies a moderator's decision about one person: approve, reject,
// remove, or a role.
func (ui *UI) GroupMember(w http.ResponseWriter, r *http.Request) error {
	ctx, u, h, who := r.Context(), *viewer(r), groupHandle(r), pathSegment(r, "username")
	var err error
	if a := r.PathValue("action"); a == "role" {
		err = ui.Groups.SetRole(ctx, u, h, who, ruche.GroupRole(r.PostFormValue("role")))
	} else {
		err = ui.Groups.Decide(ctx, u, h, who, a)
	}
	if err != nil {
		return err
	}
	return groupBack(w, r, h, "saved")
}

// NotifyGroup turns notifications of every new post in the group on or off.
func (ui *UI) NotifyGroup(w http.ResponseWriter, r *http.Request) error {
	h := groupHandle(r)
	if err := ui.Groups.SetNotify(r.Context(), *viewer(r), h, r.PostFormValue("on") == "1"); err != nil {
		return err
	}
	return groupBack(w, r, h, "saved")
}

// ShareGroup shares the group with the partner instance in the form.
func (ui *UI) ShareGroup(w http.ResponseWriter, r *http.Request) error {
	h, u := groupHandle(r), *viewer(r)
	if err := ui.Groups.Share(r.Context(), &u, h, r.PostFormValue("partner")); err != nil {
		return err
	}
	return groupBack(w, r, h, "group_shared")
}

// UnshareGroup stops sharing the group with the partner instance in the form.
func (ui *UI) UnshareGroup(w http.ResponseWriter, r *http.Request) error {
	h, u := groupHandle(r), *viewer(r)
	if err := ui.Groups.Unshare(r.Context(), &u, h, r.PostFormValue("partner")); err != nil {
		return err
	}
	return groupBack(w, r, h, "group_unshared")
}
