package ruche

import (
	"context"
	"errors"
	"slices"
)

// Shared groups: a group opened, on purpose, to named partner instances, so that people
// there take part in it from their own instance. Only open and closed groups can be
// shared; a secret group cannot (its existence is itself private). Sharing is decided
// here; what a shared group lets leave, and to whom, is decided by the federation gate
// (gate.go), which reads the shares.

// ShareStore is what sharing needs from persistence.
type ShareStore interface {
	// ShareGroup opens groupID to the partner domain, with an audit entry. It is not an
	// error if it is shared already; ErrNotFound when domain is not an active partner
	// (or the group is gone); error.group_secret_not_shareable when the group is secret.
	ShareGroup(ctx context.Context, actorID, groupID int64, domain string) error
	// UnshareGroup closes groupID to domain, with an audit entry; ErrNotFound when it
	// was not shared with it.
	UnshareGroup(ctx context.Context, actorID, groupID int64, domain string) error
	// GroupShares lists the partner domains groupID is shared with, sorted.
	GroupShares(ctx context.Context, groupID int64) ([]string, error)
	// ShareCandidates lists the active partners groupID is not shared with, sorted.
	ShareCandidates(ctx context.Context, groupID int64) ([]string, error)
	// FederatedGroup returns the group with that id if it is shared with the partner
	// domain (and not secret), with SharedWith filled and no viewer facts; ErrNotFound
	// otherwise, whatever the reason.
	FederatedGroup(ctx context.Context, groupID int64, domain string) (Group, error)
	// GroupShared is FederatedGroup's test alone, for the gate's many checks: nil if
	// the group is shared with domain (and not secret), ErrNotFound otherwise.
	GroupShared(ctx context.Context, groupID int64, domain string) error
	// FederatedGroupByHandle is FederatedGroup by handle (WebFinger).
	FederatedGroupByHandle(ctx context.Context, handle, domain string) (Group, error)
}

// SharingPolicy says who, besides company admins, may share a group with partners
// (RUCHE_GROUP_SHARING).
type SharingPolicy string

// The policies. The zero value is SharingAdmins.
const (
	// SharingAdmins: only company admins share groups.
	SharingAdmins SharingPolicy = "admins"
	// SharingOwners: a group's owners share it too, with the partners admins added:
	// adding a partner is the admins' consent.
	SharingOwners SharingPolicy = "owners"
)

// Valid reports whether p is a policy ("" counts as SharingAdmins).
func (p SharingPolicy) Valid() bool { return p == "" || p == SharingAdmins || p == SharingOwners }

// MayShare reports whether u may share g with partners, or stop sharing it: company
// admins always; under SharingOwners, the group's owners too, unless they are guests
// (people from outside do not open the company's groups to other instances).
func (gs *Groups) MayShare(u User, g Group) bool {
	switch {
	case u.Role == RoleAdmin:
		return true
	case gs.Sharing != SharingOwners, u.Role == RoleGuest:
		return false
	}
	return g.IsMember() && g.ViewerRole == GroupOwner
}

// errNoShareStore is a wiring mistake, not a user's.
var errNoShareStore = errors.New("ruche: Groups.Shares is not set")

// operatorAsUser is how the operator console (nil) looks up groups: as an admin, who
// may know every group, with no standing in any.
func operatorAsUser(u *User) User {
	if u == nil {
		return User{Role: RoleAdmin}
	}
	return *u
}

// shareable returns the group with handle if u (nil: the operator console) may share
// it: not-found if u may not know of it, forbidden if u may not share it.
func (gs *Groups) shareable(ctx context.Context, u *User, handle string) (Group, error) {
	if gs.Shares == nil {
		return Group{}, errNoShareStore
	}
	g, err := gs.Get(ctx, operatorAsUser(u), handle)
	if err != nil {
		return Group{}, err
	}
	if g.Domain != "" { // only its home instance shares a group
		return Group{}, Errorf(CodeForbidden, "error.group_run_elsewhere", g.Domain)
	}
	if u != nil && !gs.MayShare(*u, g) {
		if gs.Sharing == SharingOwners {
			return Group{}, Errorf(CodeForbidden, "error.group_share_owners_only")
		}
		return Group{}, Errorf(CodeForbidden, "error.group_share_admins_only")
	}
	return g, nil
}

// Share opens the group to an active partner instance: its people may then join it
// and read and write in it. Idempotent. Errors: not-found for a group u may not know
// of; forbidden for one u may not share; invalid for a secret group
// (error.group_secret_not_shareable), a malformed domain, or one that is not an active
// partner (error.partner_unknown). u nil is the operator console.
func (gs *Groups) Share(ctx context.Context, u *User, handle, domain string) error {
	g, err := gs.shareable(ctx, u, handle)
	if err != nil {
		return err
	}
	if g.Kind == GroupSecret {
		return Errorf(CodeInvalid, "error.group_secret_not_shareable")
	}
	d, err := ParsePartnerDomain(domain)
	if err != nil {
		return err
	}
	err = gs.Shares.ShareGroup(ctx, actorID(u), g.ID, d)
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeInvalid, "error.partner_unknown", d)
	}
	return err
}

// Unshare closes the group to a partner instance. Errors as for Share, and not-found
// (error.group_not_shared_with) when it was not shared with that domain.
func (gs *Groups) Unshare(ctx context.Context, u *User, handle, domain string) error {
	g, err := gs.shareable(ctx, u, handle)
	if err != nil {
		return err
	}
	d := NormalizeDomain(domain)
	if gs.Remote != nil && slices.Contains(g.SharedWith, d) {
		// Told while still shared (the gate checks), so that the partner drops the group.
		if err := gs.Remote.Unshared(ctx, g.ID, d); err != nil && !errors.Is(err, ErrNotFederated) {
			return err
		}
	}
	err = gs.Shares.UnshareGroup(ctx, actorID(u), g.ID, d)
	if errors.Is(err, ErrNotFound) {
		return Errorf(CodeNotFound, "error.group_not_shared_with", d)
	}
	return err
}

// SharedWith lists the partner instances the group is shared with, sorted, for anyone
// who may know the group exists: people must know who can read what they write there.
// (Groups.Shares is the store; Get's Group.SharedWith says the same.)
func (gs *Groups) SharedWith(ctx context.Context, u *User, handle string) ([]string, error) {
	g, err := gs.Get(ctx, operatorAsUser(u), handle)
	if err != nil {
		return nil, err
	}
	if g.SharedWith == nil {
		return []string{}, nil
	}
	return g.SharedWith, nil
}

// ShareCandidates lists the active partners the group could be shared with now (none
// for a secret group), for those who may share it; forbidden for others.
func (gs *Groups) ShareCandidates(ctx context.Context, u *User, handle string) ([]string, error) {
	g, err := gs.shareable(ctx, u, handle)
	if err != nil {
		return nil, err
	}
	if g.Kind == GroupSecret {
		return []string{}, nil
	}
	return gs.Shares.ShareCandidates(ctx, g.ID)
}
