package ruche

import (
	"context"
	"errors"
	"strings"
)

// Groups is the use-case layer for groups: who may know of a group, join it, and run
// it. Posts in groups go through Posts and the visibility gate like any other post.
type Groups struct {
	Store interface {
		GroupStore
		AccountByUsername(ctx context.Context, viewer Viewer, username string) (Author, error)
	}
	Shares  ShareStore    // sharing groups with partner instances (groupshare.go)
	Sharing SharingPolicy // who besides admins may share; "" is SharingAdmins
	// Remote tells a partner's member of a moderator's decision (Federation.Answer);
	// nil when the node does not federate.
	Remote interface {
		Answer(ctx context.Context, groupID, accountID int64, accept bool) error
		// FollowRemote and UnfollowRemote send a member's joining or leaving of a
		// partner's group; nothing for a local group.
		FollowRemote(ctx context.Context, groupID, userID int64) error
		UnfollowRemote(ctx context.Context, groupID, userID int64) error
		// Unshared tells a partner that a group is no longer shared with it.
		Unshared(ctx context.Context, groupID int64, domain string) error
	}
}

// answerRemote tells a remote account's instance of a decision; nothing for a local
// account, or when the node does not federate, or when what would be said may not
// leave (a suspended partner, a group no longer shared with it): the decision stands
// here all the same.
func (gs *Groups) answerRemote(ctx context.Context, groupID, accountID int64, accept bool) error {
	if gs.Remote == nil {
		return nil
	}
	err := gs.Remote.Answer(ctx, groupID, accountID, accept)
	if errors.Is(err, ErrNotFederated) && !accept {
		return nil
	}
	return err
}

// mayKnow reports whether u may know that g exists. Secret groups exist only for
// their members and invitees; guests know only the groups they are part of; company
// admins know every group.
func mayKnow(u User, g Group) bool {
	switch {
	case u.Role == RoleAdmin, g.ViewerState == StateMember, g.ViewerState == StateInvited:
		return true
	case u.Role == RoleGuest:
		return false
	}
	return g.Kind != GroupSecret
}

// manages reports whether u may run g: its owners and moderators, and company admins.
func manages(u User, g Group) bool { return u.Role == RoleAdmin || g.Moderated() }

// Get returns the group with handle, or not-found when u may not know it exists.
func (gs *Groups) Get(ctx context.Context, u User, handle string) (Group, error) {
	g, err := gs.Store.Group(ctx, ViewerOf(u), strings.ToLower(strings.TrimPrefix(handle, "@")))
	if err != nil {
		return Group{}, groupNotFound(err)
	}
	if !mayKnow(u, g) {
		return Group{}, errGroupNotFound
	}
	return g, nil
}

// List returns the groups u may know of.
func (gs *Groups) List(ctx context.Context, u User) ([]Group, error) {
	all, err := gs.Store.Groups(ctx, ViewerOf(u))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, g := range all {
		if mayKnow(u, g) {
			out = append(out, g)
		}
	}
	return out, nil
}

// Create makes a group with u as its owner. Guests do not create groups.
func (gs *Groups) Create(ctx context.Context, u User, handle string, f GroupFields) (Group, error) {
	if u.Role == RoleGuest {
		return Group{}, Errorf(CodeForbidden, "error.forbidden")
	}
	handle = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(handle, "@")))
	if !handleRE.MatchString(handle) {
		return Group{}, Errorf(CodeInvalid, "error.handle_invalid")
	}
	if err := f.validate(); err != nil {
		return Group{}, err
	}
	if _, err := gs.Store.CreateGroup(ctx, u.ID, handle, f); err != nil {
		if ErrorCode(err) == CodeConflict {
			return Group{}, Errorf(CodeConflict, "error.handle_taken")
		}
		return Group{}, err
	}
	return gs.Get(ctx, u, handle)
}

// Update changes a group's name, description and kind.
func (gs *Groups) Update(ctx context.Context, u User, handle string, f GroupFields) error {
	g, err := gs.managed(ctx, u, handle)
	if err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	// A secret group's existence is private; partners that read a shared one would
	// keep knowing it. (The store checks again under the group's lock.)
	if f.Kind == GroupSecret && len(g.SharedWith) > 0 {
		return Errorf(CodeInvalid, "error.group_shared_not_secret")
	}
	return gs.Store.UpdateGroup(ctx, g.ID, f)
}

// managed returns the group if u may run it: not-found if u may not know of it,
// forbidden if u may know of it but not run it.
func (gs *Groups) managed(ctx context.Context, u User, handle string) (Group, error) {
	g, err := gs.Get(ctx, u, handle)
	if err != nil {
		return Group{}, err
	}
	if g.Domain != "" { // a partner's group is run at home, by its own moderators
		return Group{}, Errorf(CodeForbidden, "error.group_run_elsewhere", g.Domain)
	}
	if !manages(u, g) {
		return Group{}, Errorf(CodeForbidden, "error.group_not_moderator")
	}
	return g, nil
}

// Join makes u a member of an open group, asks to join a closed one, or accepts an
// invitation.
func (gs *Groups) Join(ctx context.Context, u User, handle string) (MembershipState, error) {
	g, err := gs.Get(ctx, u, handle)
	if err != nil {
		return StateNone, err
	}
	switch {
	case g.ViewerState == StateMember || g.ViewerState == StateRequested:
		return g.ViewerState, nil
	case g.Domain != "":
		// A partner's group: a request here until the group's Accept arrives.
		if gs.Remote == nil {
			return StateNone, ErrNotFederated
		}
		if err := gs.Store.SetMembership(ctx, g.ID, u.ID, StateRequested, GroupMember, "", 0); err != nil {
			return StateNone, err
		}
		return StateRequested, gs.Remote.FollowRemote(ctx, g.ID, u.ID)
	case g.ViewerState == StateInvited, g.Kind == GroupOpen:
		return StateMember, gs.Store.SetMembership(ctx, g.ID, u.ID, StateMember, GroupMember, "", 0)
	case g.Kind == GroupClosed:
		return StateRequested, gs.Store.SetMembership(ctx, g.ID, u.ID, StateRequested, GroupMember, NotifyGroupRequest, u.ID)
	}
	return StateNone, Errorf(CodeForbidden, "error.group_invitation_only")
}

// Leave ends u's membership (or request, or invitation). The last owner must hand
// the group over first.
func (gs *Groups) Leave(ctx context.Context, u User, handle string) error {
	g, err := gs.Get(ctx, u, handle)
	if err != nil {
		return err
	}
	if g.IsMember() && g.ViewerRole == GroupOwner {
		if err := gs.keepAnOwner(ctx, g.ID); err != nil {
			return err
		}
	}
	if g.Domain != "" && gs.Remote != nil {
		// The Undo names the Follow, which leaves with the membership.
		if err := gs.Remote.UnfollowRemote(ctx, g.ID, u.ID); err != nil {
			return err
		}
	}
	return gs.Store.RemoveMembership(ctx, g.ID, u.ID)
}

func (gs *Groups) keepAnOwner(ctx context.Context, groupID int64) error {
	n, err := gs.Store.CountOwners(ctx, groupID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return Errorf(CodeInvalid, "error.group_last_owner")
	}
	return nil
}

// decision loads what a manager's decision about someone needs: the group, which u
// must run, and the person with their standing in it.
func (gs *Groups) decision(ctx context.Context, u User, handle, username string) (Group, Author, GroupMembership, error) {
	g, err := gs.managed(ctx, u, handle)
	if err != nil {
		return Group{}, Author{}, GroupMembership{}, err
	}
	// username is a handle: "user@domain" names someone of a partner instance, whom
	// those running a group where they stand find as they find its local people.
	username = strings.ToLower(strings.TrimPrefix(username, "@"))
	a, err := gs.Store.AccountByUsername(ctx, ViewerOf(u), username)
	if errors.Is(err, ErrNotFound) && u.Role == RoleGuest {
		// A guest who moderates a group knows the people in it, and those asking or
		// invited to join: the lists they decide on (Members) show them.
		a, err = gs.inGroup(ctx, u, handle, username)
	}
	if err != nil {
		return Group{}, Author{}, GroupMembership{}, notFoundAs(err, "error.member_not_found")
	}
	m, err := gs.Store.Membership(ctx, g.ID, a.ID)
	return g, a, m, err
}

// inGroup finds username among the group's members, requests and invitations. It is a
// handle: "zoe@hub.example" names the partner's zoe, never a local one.
func (gs *Groups) inGroup(ctx context.Context, u User, handle, username string) (Author, error) {
	for _, st := range []MembershipState{StateMember, StateRequested, StateInvited} {
		ms, err := gs.Members(ctx, u, handle, st)
		if err != nil {
			return Author{}, err
		}
		for _, m := range ms {
			if strings.EqualFold(m.Handle(), username) {
				return m.Author, nil
			}
		}
	}
	return Author{}, ErrNotFound
}

// Invite invites someone (a member of the company or a guest) into the group; one who
// asked to join becomes a member at once.
func (gs *Groups) Invite(ctx context.Context, u User, handle, username string) error {
	g, a, m, err := gs.decision(ctx, u, handle, username)
	if err != nil {
		return err
	}
	if a.Remote() && m.State != StateRequested { // people of partners join from their instance
		return Errorf(CodeInvalid, "error.remote_account_unsupported")
	}
	switch m.State {
	case StateMember, StateInvited:
		return nil
	case StateRequested:
		return gs.Store.SetMembership(ctx, g.ID, a.ID, StateMember, GroupMember, NotifyGroupApproved, u.ID)
	}
	return gs.Store.SetMembership(ctx, g.ID, a.ID, StateInvited, GroupMember, NotifyGroupInvite, u.ID)
}

// Approve lets in someone who asked to join.
func (gs *Groups) Approve(ctx context.Context, u User, handle, username string) error {
	return gs.answer(ctx, u, handle, username, true)
}

// Reject turns down a request to join.
func (gs *Groups) Reject(ctx context.Context, u User, handle, username string) error {
	return gs.answer(ctx, u, handle, username, false)
}

// answer decides a request to join; the person is told either way.
func (gs *Groups) answer(ctx context.Context, u User, handle, username string, accept bool) error {
	g, a, m, err := gs.decision(ctx, u, handle, username)
	if err != nil {
		return err
	}
	if m.State != StateRequested {
		return Errorf(CodeInvalid, "error.group_no_request")
	}
	if accept {
		if err := gs.Store.SetMembership(ctx, g.ID, a.ID, StateMember, GroupMember, NotifyGroupApproved, u.ID); err != nil {
			return err
		}
		return gs.answerRemote(ctx, g.ID, a.ID, true)
	}
	// A remote request is answered while it still stands (the gate checks it).
	if err := gs.answerRemote(ctx, g.ID, a.ID, false); err != nil {
		return err
	}
	return gs.Store.RejectRequest(ctx, g.ID, a.ID, u.ID)
}

// Decide applies a moderator's decision named by a front door's address
// ("approve", "reject", "remove"); any other name is not found.
func (gs *Groups) Decide(ctx context.Context, u User, handle, username, decision string) error {
	switch decision {
	case "approve":
		return gs.Approve(ctx, u, handle, username)
	case "reject":
		return gs.Reject(ctx, u, handle, username)
	case "remove":
		return gs.Remove(ctx, u, handle, username)
	}
	return Errorf(CodeNotFound, "error.page_not_found")
}

// Remove takes someone out of the group; from then on they see none of its posts, past
// or future. Only owners (and company admins) remove owners or moderators, and the last
// owner stays.
func (gs *Groups) Remove(ctx context.Context, u User, handle, username string) error {
	g, a, m, err := gs.decision(ctx, u, handle, username)
	if err != nil {
		return err
	}
	if m.State == StateMember && m.Role.Moderates() && g.ViewerRole != GroupOwner && u.Role != RoleAdmin {
		return Errorf(CodeForbidden, "error.group_owner_only")
	}
	if m.State == StateMember && m.Role == GroupOwner {
		if err := gs.keepAnOwner(ctx, g.ID); err != nil {
			return err
		}
	}
	// A partner's member is told with a Reject of their Follow, what other servers
	// understand as "no longer a member".
	if err := gs.answerRemote(ctx, g.ID, a.ID, false); err != nil {
		return err
	}
	return gs.Store.RemoveMembership(ctx, g.ID, a.ID)
}

// SetRole appoints a member owner, moderator or plain member. Moderators appoint
// moderators; only owners (and company admins) make or unmake owners.
func (gs *Groups) SetRole(ctx context.Context, u User, handle, username string, role GroupRole) error {
	if !role.Valid() {
		return Errorf(CodeInvalid, "error.group_role_invalid")
	}
	g, a, m, err := gs.decision(ctx, u, handle, username)
	if err != nil {
		return err
	}
	if a.Remote() { // a partner's member takes part; running the group stays with its company
		return Errorf(CodeInvalid, "error.remote_account_unsupported")
	}
	if m.State != StateMember {
		return Errorf(CodeInvalid, "error.group_not_a_member")
	}
	if (role == GroupOwner || m.Role == GroupOwner) && g.ViewerRole != GroupOwner && u.Role != RoleAdmin {
		return Errorf(CodeForbidden, "error.group_owner_only")
	}
	if m.Role == GroupOwner && role != GroupOwner {
		if err := gs.keepAnOwner(ctx, g.ID); err != nil {
			return err
		}
	}
	return gs.Store.SetMembership(ctx, g.ID, a.ID, StateMember, role, "", 0)
}

// Members lists a group's members (and, for its managers, pending requests).
func (gs *Groups) Members(ctx context.Context, u User, handle string, state MembershipState) ([]GroupMembership, error) {
	g, err := gs.Get(ctx, u, handle)
	if err != nil {
		return nil, err
	}
	// Who belongs to a closed or secret group is for its members to know.
	if state == StateMember && !g.IsMember() && g.Kind != GroupOpen && u.Role != RoleAdmin {
		return nil, Errorf(CodeForbidden, "error.group_members_only")
	}
	if state != StateMember && !manages(u, g) {
		return nil, Errorf(CodeForbidden, "error.group_not_moderator")
	}
	return gs.Store.Members(ctx, g.ID, state)
}

// SetNotify turns u's notifications of every new post in the group on or off.
func (gs *Groups) SetNotify(ctx context.Context, u User, handle string, on bool) error {
	g, err := gs.Get(ctx, u, handle)
	if err != nil {
		return err
	}
	if !g.IsMember() {
		return Errorf(CodeForbidden, "error.group_members_only")
	}
	return gs.Store.SetGroupNotify(ctx, g.ID, u.ID, on)
}

// SetPinned pins or unpins a post of the group (its owners and moderators).
func (gs *Groups) SetPinned(ctx context.Context, u User, handle string, postID int64, pinned bool) error {
	g, err := gs.managed(ctx, u, handle)
	if err != nil {
		return err
	}
	if err := gs.Store.SetPinned(ctx, g.ID, postID, pinned); err != nil {
		return notFoundAs(err, "error.post_not_found")
	}
	return nil
}

// Pinned returns the group's pinned posts, for those who may read it.
func (gs *Groups) Pinned(ctx context.Context, u User, g Group) ([]Post, error) {
	return gs.Store.Pinned(ctx, ViewerOf(u), g.ID)
}
