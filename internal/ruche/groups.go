package ruche

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// GroupKind says who may see a group and how people join it.
type GroupKind string

// The kinds of group.
const (
	GroupOpen   GroupKind = "open"   // any member sees it and joins
	GroupClosed GroupKind = "closed" // everyone sees that it exists; joining needs approval
	GroupSecret GroupKind = "secret" // invisible to non-members; joining by invitation only
)

// Valid reports whether k is one of the three kinds.
func (k GroupKind) Valid() bool { return k == GroupOpen || k == GroupClosed || k == GroupSecret }

// GroupRole is what a member may do in a group.
type GroupRole string

// The roles in a group, most powerful first.
const (
	GroupOwner     GroupRole = "owner"
	GroupModerator GroupRole = "moderator"
	GroupMember    GroupRole = "member"
)

// Valid reports whether r is one of the three roles.
func (r GroupRole) Valid() bool { return r == GroupOwner || r == GroupModerator || r == GroupMember }

// Moderates reports whether r may approve, invite, remove and moderate posts.
func (r GroupRole) Moderates() bool { return r == GroupOwner || r == GroupModerator }

// MembershipState is where someone stands with a group.
type MembershipState string

// The states. Only StateMember grants access.
const (
	StateNone      MembershipState = ""
	StateMember    MembershipState = "member"
	StateRequested MembershipState = "requested" // asked to join a closed group
	StateInvited   MembershipState = "invited"   // invited by a moderator, not yet accepted
)

// Group is a group as one viewer sees it.
type Group struct {
	ID           int64 // its account id: a group is an actor that can be mentioned
	Handle       string
	Name         string
	Description  string
	Kind         GroupKind
	CreatedAt    time.Time
	Members      int
	ViewerRole   GroupRole       // "" unless the viewer is a member
	ViewerState  MembershipState // the viewer's standing
	ViewerNotify bool            // the viewer hears of every new post
	// SharedWith lists the partner instances the group is shared with: people there
	// read and write in it, and every member sees the list.
	SharedWith []string
	// Domain is the partner instance a group lives on, "" for this instance's own.
	Domain string
	// Avatar and Header are the uploads that are its pictures (0: none).
	Avatar, Header int64
}

// Acct is how to name the group: its handle, with its instance for a partner's.
func (g Group) Acct() string {
	if g.Domain != "" {
		return g.Handle + "@" + g.Domain
	}
	return g.Handle
}

// IsMember reports whether the viewer is a member.
func (g Group) IsMember() bool { return g.ViewerState == StateMember }

// Moderated reports whether the viewer moderates the group.
func (g Group) Moderated() bool { return g.IsMember() && g.ViewerRole.Moderates() }

// GroupMembership is one person's standing in a group.
type GroupMembership struct {
	Author
	Role  GroupRole
	State MembershipState
	Since time.Time
}

// GroupFields are what owners and moderators edit.
type GroupFields struct {
	Name        string
	Description string
	Kind        GroupKind
}

var handleRE = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// validate normalizes and checks group fields.
func (f *GroupFields) validate() error {
	f.Name = strings.TrimSpace(f.Name)
	f.Description = strings.TrimSpace(f.Description)
	if f.Name == "" || utf8.RuneCountInString(f.Name) > 100 {
		return Errorf(CodeInvalid, "error.group_name_invalid", 100)
	}
	if utf8.RuneCountInString(f.Description) > 2000 {
		return Errorf(CodeInvalid, "error.group_description_too_long", 2000)
	}
	if !f.Kind.Valid() {
		return Errorf(CodeInvalid, "error.group_kind_invalid")
	}
	return nil
}

// errGroupNotFound is the one answer for a group that does not exist and for a secret
// group one may not see: the two must be indistinguishable.
var errGroupNotFound = Errorf(CodeNotFound, "error.group_not_found")

func groupNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return errGroupNotFound
	}
	return err
}

// GroupStore is what the groups use cases need from persistence.
type GroupStore interface {
	// CreateGroup creates the group's account and makes ownerID its owner.
	CreateGroup(ctx context.Context, ownerID int64, handle string, f GroupFields) (int64, error)
	// Group returns the group with handle as viewer sees it, whatever its kind;
	// the use cases decide whether the viewer may know it exists.
	Group(ctx context.Context, viewer Viewer, handle string) (Group, error)
	// Groups lists the groups viewer may know of: open and closed ones (for members of
	// the company), and every group viewer belongs to or is invited to.
	Groups(ctx context.Context, viewer Viewer) ([]Group, error)
	UpdateGroup(ctx context.Context, groupID int64, f GroupFields) error
	// SetMembership puts accountID in state with role, notifying as the change asks.
	SetMembership(ctx context.Context, groupID, accountID int64, state MembershipState, role GroupRole, notify NotificationKind, from int64) error
	// RemoveMembership ends any standing of accountID in the group.
	RemoveMembership(ctx context.Context, groupID, accountID int64) error
	// Members lists the group's memberships in state (StateMember for members).
	Members(ctx context.Context, groupID int64, state MembershipState) ([]GroupMembership, error)
	// Membership returns accountID's standing in the group (StateNone when none).
	Membership(ctx context.Context, groupID, accountID int64) (GroupMembership, error)
	// CountOwners counts the owners who are members.
	CountOwners(ctx context.Context, groupID int64) (int, error)
	// SetGroupNotify turns a member's notifications of new posts on or off.
	SetGroupNotify(ctx context.Context, groupID, accountID int64, on bool) error
	// RejectRequest turns down accountID's request to join and tells them.
	RejectRequest(ctx context.Context, groupID, accountID, from int64) error
	// SetPinned pins or unpins one of the group's posts; ErrNotFound for another's.
	SetPinned(ctx context.Context, groupID, postID int64, pinned bool) error
	// Pinned returns the group's pinned posts, through the gate.
	Pinned(ctx context.Context, viewer Viewer, groupID int64) ([]Post, error)
}
