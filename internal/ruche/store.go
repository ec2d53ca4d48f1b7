package ruche

import (
	"context"
	"encoding/json"
	"time"
)

// Store is what the domain needs from persistence. Each method is one transaction; the
// implementation (internal/postgres) turns driver errors into ErrNotFound/ErrConflict
// and writes the audit entry of an administrative change in the same transaction.
//
// actorID is the account making an administrative change, 0 for an operator at the
// console (recorded as such in the audit log).
type Store interface {
	// Ping reports whether the database answers and every migration is applied.
	Ping(ctx context.Context) error

	CountUsers(ctx context.Context) (int, error)
	// PutSetupToken replaces the one-time owner setup link.
	PutSetupToken(ctx context.Context, hash []byte, expires time.Time) error
	// SetupTokenValid reports whether hash is the live setup link and no user exists yet.
	SetupTokenValid(ctx context.Context, hash []byte) (bool, error)
	// CreateOwner creates the first user as admin if hash is the live setup link and no
	// user exists; it then deletes the link. ErrNotFound otherwise.
	CreateOwner(ctx context.Context, hash []byte, u NewUser, pwHash string) (User, error)
	// CreateUser creates a user; ErrConflict-coded *Error when the username or e-mail is taken.
	CreateUser(ctx context.Context, actorID int64, u NewUser, pwHash string) (User, error)
	// RedeemInvite uses one use of a live invite and creates the user with its role.
	// ErrNotFound when the invite is unknown, used up, expired or revoked.
	RedeemInvite(ctx context.Context, hash []byte, u NewUser, pwHash string) (User, error)

	UserByID(ctx context.Context, id int64) (User, error)
	UserByUsername(ctx context.Context, username string) (User, error)
	// UserByLogin finds a user by username or e-mail, case-insensitively.
	UserByLogin(ctx context.Context, login string) (User, error)
	Users(ctx context.Context) ([]User, error)
	// SetPassword replaces the password and ends every session of the user but the
	// one whose token hashes to keep (nil: all).
	SetPassword(ctx context.Context, actorID, userID int64, pwHash string, keep []byte) error
	// SetRole and SetSuspended refuse (CodeInvalid, "error.last_admin") to leave the
	// instance without an active admin. Suspending ends every session of the user.
	SetRole(ctx context.Context, actorID, userID int64, role Role) error
	SetSuspended(ctx context.Context, actorID, userID int64, suspended bool) error
	SetLocale(ctx context.Context, userID int64, locale string) error

	CreateSession(ctx context.Context, hash []byte, userID int64, s SessionInfo, expires time.Time) error
	// SessionUser returns the user of a live session of an unsuspended user, and slides
	// the session's expiry to now+ttl. ErrNotFound otherwise.
	SessionUser(ctx context.Context, hash []byte, ttl time.Duration) (User, error)
	DeleteSession(ctx context.Context, hash []byte) error

	// CountSigninAttempt adds one attempt under each key, starting a new window where
	// the last has passed, and returns each key's count including this attempt.
	CountSigninAttempt(ctx context.Context, keys []string, window time.Duration) ([]int, error)
	// ForgiveSigninAttempt takes back the attempt of a successful sign-in: one from
	// addrKey, all from nameKey.
	ForgiveSigninAttempt(ctx context.Context, addrKey, nameKey string) error

	CreateInvite(ctx context.Context, actorID int64, hash []byte, inv Invite) (Invite, error)
	// LiveInvite returns an invite that can still be used; ErrNotFound otherwise.
	LiveInvite(ctx context.Context, hash []byte) (Invite, error)
	Invites(ctx context.Context) ([]Invite, error)
	RevokeInvite(ctx context.Context, actorID, inviteID int64) error

	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error)
	// PurgeExpired deletes expired sessions and setup links and stale sign-in failure
	// windows (invites stay, as the admins' record), returning how many rows went.
	PurgeExpired(ctx context.Context) (int64, error)
}

// SessionInfo describes where a session was opened, for the member's own review.
type SessionInfo struct {
	UserAgent string
	IP        string
}

// Invite is a link through which people join. It may be used MaxUses times until ExpiresAt.
type Invite struct {
	ID        int64
	CreatedBy int64
	Role      Role
	MaxUses   int
	Uses      int
	ExpiresAt time.Time
	RevokedAt *time.Time
	CreatedAt time.Time
}

// Live reports whether the invite can still be used at now.
func (i Invite) Live(now time.Time) bool {
	return i.RevokedAt == nil && i.Uses < i.MaxUses && now.Before(i.ExpiresAt)
}

// AuditEntry is one administrative change.
type AuditEntry struct {
	ID             int64
	At             time.Time
	ActorID        int64 // 0: the operator console
	ActorUsername  string
	Action         string
	TargetID       int64
	TargetUsername string
	Detail         json.RawMessage
}

// Audit actions. Later subjects append their own.
const (
	AuditUserCreated     = "user.created"
	AuditOwnerCreated    = "user.owner_created"
	AuditPasswordSet     = "user.password_set"
	AuditRoleChanged     = "user.role_changed"
	AuditUserSuspended   = "user.suspended"
	AuditUserUnsuspended = "user.unsuspended"
	AuditInviteCreated   = "invite.created"
	AuditInviteUsed      = "invite.used"
	AuditInviteRevoked   = "invite.revoked"
)
