package ruche

import "context"

// Shared groups: a group opened, on purpose, to named partner instances, so that people
// there take part in it from their own instance. Only open and closed groups can be
// shared; a secret group cannot (its existence is itself private). Sharing is decided
// here; what a shared group lets leave, and to whom, is decided by the federation gate
// (gate.go), which reads the shares.

// ShareStore is what sharing needs from persistence.
type ShareStore interface {
	// ShareGroup opens groupID to the partner domain, with an audit entry. It is not an
	// error if it is shared already; ErrNotFound when domain is not a partner.
	ShareGroup(ctx context.Context, actorID, groupID int64, domain string) error
	// UnshareGroup closes groupID to domain, with an audit entry; ErrNotFound when it
	// was not shared with it.
	UnshareGroup(ctx context.Context, actorID, groupID int64, domain string) error
	// GroupShares lists the partner domains groupID is shared with, sorted.
	GroupShares(ctx context.Context, groupID int64) ([]string, error)
	// FederatedGroup returns the group with that id if it is shared with the partner
	// domain (and not secret), with SharedWith filled and no viewer facts; ErrNotFound
	// otherwise, whatever the reason.
	FederatedGroup(ctx context.Context, groupID int64, domain string) (Group, error)
	// FederatedGroupByHandle is FederatedGroup by handle (WebFinger).
	FederatedGroupByHandle(ctx context.Context, handle, domain string) (Group, error)
}
