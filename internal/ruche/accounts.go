package ruche

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"
)

// Sign-in limits. Failures are counted per account and per client address in a fixed
// window; an office behind one NAT address shares the address budget, hence its size.
const (
	SigninWindow             = 15 * time.Minute
	MaxAccountFailures       = 10
	MaxAddressFailures       = 50
	SessionTTL               = 30 * 24 * time.Hour
	SetupTokenTTL            = 24 * time.Hour
	MaxInviteTTL             = 90 * 24 * time.Hour
	MaxInviteUses            = 1000
	operatorID         int64 = 0
)

// Accounts is the use-case layer for members, sign-in, invites and administration.
// Its methods check who may do what; the store only persists.
type Accounts struct {
	Store Store
	Log   *slog.Logger
	Now   func() time.Time // nil: time.Now
}

func (a *Accounts) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// actorID maps the acting user to the audit log's actor; nil is the operator console.
func actorID(actor *User) int64 {
	if actor == nil {
		return operatorID
	}
	return actor.ID
}

// requireAdmin refuses anyone but an admin; nil (the operator console) is allowed.
func requireAdmin(actor *User) error {
	if actor != nil && actor.Role != RoleAdmin {
		return Errorf(CodeForbidden, "error.forbidden")
	}
	return nil
}

// NewSetupLink returns a fresh one-time setup token when the instance has no user yet,
// or "" once it has one. Each call replaces the previous token.
func (a *Accounts) NewSetupLink(ctx context.Context) (string, error) {
	n, err := a.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token, hash := NewToken()
	if err := a.Store.PutSetupToken(ctx, hash, a.now().Add(SetupTokenTTL)); err != nil {
		return "", err
	}
	return token, nil
}

// CheckSetupLink returns ErrNotFound unless token is the live setup link.
func (a *Accounts) CheckSetupLink(ctx context.Context, token string) error {
	ok, err := a.Store.SetupTokenValid(ctx, HashToken(token))
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(CodeNotFound, "error.setup_link_invalid")
	}
	return nil
}

// Setup creates the owner (an admin) through the one-time link.
func (a *Accounts) Setup(ctx context.Context, token string, n NewUser) (User, error) {
	if err := a.CheckSetupLink(ctx, token); err != nil { // before any costly hashing
		return User{}, err
	}
	n.Role = RoleAdmin
	hash, err := a.prepare(&n)
	if err != nil {
		return User{}, err
	}
	u, err := a.Store.CreateOwner(ctx, HashToken(token), n, hash)
	if errors.Is(err, ErrNotFound) {
		return User{}, Errorf(CodeNotFound, "error.setup_link_invalid")
	}
	return u, err
}

// prepare normalizes and validates a new user and hashes the password.
func (a *Accounts) prepare(n *NewUser) (string, error) {
	n.Normalize()
	if err := n.Validate(); err != nil {
		return "", err
	}
	return HashPassword(n.Password)
}

// CreateUser creates an account directly: by an admin, or by the operator (actor nil).
func (a *Accounts) CreateUser(ctx context.Context, actor *User, n NewUser) (User, error) {
	if err := requireAdmin(actor); err != nil {
		return User{}, err
	}
	if n.Role == "" {
		n.Role = RoleMember
	}
	hash, err := a.prepare(&n)
	if err != nil {
		return User{}, err
	}
	return a.Store.CreateUser(ctx, actorID(actor), n, hash)
}

// SignIn checks a username-or-e-mail and password and opens a session, returning the
// session token for the cookie. Attempts are limited per account (or per unknown name)
// and per client address: each attempt is counted before the password is checked, in
// one statement, so parallel guesses cannot slip past the limit; a success takes its
// attempt back. The error never tells whether the account exists.
func (a *Accounts) SignIn(ctx context.Context, login, password string, info SessionInfo) (string, User, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	failed := Errorf(CodeUnauthenticated, "error.signin_failed")
	if login == "" || password == "" || len(login) > 254 || len(password) > MaxPasswordLen {
		return "", User{}, failed
	}
	u, err := a.Store.UserByLogin(ctx, login)
	known := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", User{}, err
	}
	addrKey := "addr:" + addressKey(info.IP)
	nameKey := "login:" + login
	if known {
		nameKey = fmt.Sprintf("account:%d", u.ID)
	}
	counts, err := a.Store.CountSigninAttempt(ctx, []string{addrKey, nameKey}, SigninWindow)
	if err != nil {
		return "", User{}, err
	}
	if counts[0] > MaxAddressFailures || counts[1] > MaxAccountFailures {
		return "", User{}, Errorf(CodeRateLimited, "error.signin_rate_limited", int(SigninWindow/time.Minute))
	}
	hash := dummyHash // an unknown name takes as long as a known one
	if known {
		hash = u.PasswordHash
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return "", User{}, err
	}
	if !ok || !known {
		return "", User{}, failed
	}
	if u.SuspendedAt != nil {
		return "", User{}, Errorf(CodeForbidden, "error.account_suspended")
	}
	if err := a.Store.ForgiveSigninAttempt(ctx, addrKey, nameKey); err != nil {
		return "", User{}, err
	}
	token, tokenHash := NewToken()
	if err := a.Store.CreateSession(ctx, tokenHash, u.ID, info, a.now().Add(SessionTTL)); err != nil {
		return "", User{}, err
	}
	return token, u, nil
}

// addressKey is what the per-address limit counts under: the address itself for IPv4,
// its /64 for IPv6, since one client commonly holds a whole /64.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.Unmap().String()
}

// CountMembers returns how many accounts can sign in (suspended ones included), for
// the instance documents when the operator publishes counts.
func (a *Accounts) CountMembers(ctx context.Context) (int, error) { return a.Store.CountUsers(ctx) }

// Authenticate returns the user of a session token; ErrNotFound when the session is
// unknown, expired, or its user suspended.
func (a *Accounts) Authenticate(ctx context.Context, token string) (User, error) {
	if token == "" {
		return User{}, ErrNotFound
	}
	return a.Store.SessionUser(ctx, HashToken(token), SessionTTL)
}

// SignOut ends the session; an unknown token is not an error.
func (a *Accounts) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return a.Store.DeleteSession(ctx, HashToken(token))
}

// SetPassword changes a user's password: the user themself, an admin, or the operator.
// Every session of the user ends, so a reset locks out whoever knew the old password.
func (a *Accounts) SetPassword(ctx context.Context, actor *User, username, password string) error {
	return a.setPassword(ctx, actor, username, password, nil)
}

func (a *Accounts) setPassword(ctx context.Context, actor *User, username, password string, keep []byte) error {
	u, err := a.Store.UserByUsername(ctx, strings.ToLower(username))
	if err != nil {
		return err
	}
	if actor != nil && actor.ID != u.ID && actor.Role != RoleAdmin {
		return Errorf(CodeForbidden, "error.forbidden")
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return a.Store.SetPassword(ctx, actorID(actor), u.ID, hash, keep)
}

// SetSuspended suspends or reinstates a user. Suspension ends all their sessions at once;
// it is the one off-boarding act that later subjects (tokens, remote memberships) extend.
func (a *Accounts) SetSuspended(ctx context.Context, actor *User, username string, suspended bool) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	u, err := a.Store.UserByUsername(ctx, strings.ToLower(username))
	if err != nil {
		return err
	}
	if actor != nil && actor.ID == u.ID && suspended {
		return Errorf(CodeInvalid, "error.cannot_suspend_self")
	}
	return a.Store.SetSuspended(ctx, actorID(actor), u.ID, suspended)
}

// SetRole changes a user's role; the last admin cannot be demoted.
func (a *Accounts) SetRole(ctx context.Context, actor *User, username string, role Role) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if !role.Valid() {
		return Errorf(CodeInvalid, "error.role_invalid")
	}
	u, err := a.Store.UserByUsername(ctx, strings.ToLower(username))
	if err != nil {
		return err
	}
	return a.Store.SetRole(ctx, actorID(actor), u.ID, role)
}

// SetLocale records the member's interface language ("" follows the browser).
func (a *Accounts) SetLocale(ctx context.Context, u User, locale string) error {
	return a.Store.SetLocale(ctx, u.ID, locale)
}

// Users lists every member, for admins.
func (a *Accounts) Users(ctx context.Context, actor *User) ([]User, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	return a.Store.Users(ctx)
}

// CreateInvite makes an invite link usable maxUses times for ttl, returning the token
// to put in the link (shown once, stored only as a hash).
func (a *Accounts) CreateInvite(ctx context.Context, actor *User, role Role, maxUses int, ttl time.Duration) (Invite, string, error) {
	if err := requireAdmin(actor); err != nil {
		return Invite{}, "", err
	}
	if role != RoleMember && role != RoleGuest {
		return Invite{}, "", Errorf(CodeInvalid, "error.invite_role_invalid")
	}
	if maxUses < 1 || maxUses > MaxInviteUses {
		return Invite{}, "", Errorf(CodeInvalid, "error.invite_uses_invalid", MaxInviteUses)
	}
	if ttl < time.Hour || ttl > MaxInviteTTL {
		return Invite{}, "", Errorf(CodeInvalid, "error.invite_ttl_invalid", int(MaxInviteTTL/(24*time.Hour)))
	}
	token, hash := NewToken()
	inv, err := a.Store.CreateInvite(ctx, actorID(actor), hash, Invite{
		Role: role, MaxUses: maxUses, ExpiresAt: a.now().Add(ttl),
	})
	return inv, token, err
}

// Invite returns the live invite behind token, or a not-found error that says the link
// is used up, expired or unknown (without saying which).
func (a *Accounts) Invite(ctx context.Context, token string) (Invite, error) {
	inv, err := a.Store.LiveInvite(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return Invite{}, Errorf(CodeNotFound, "error.invite_invalid")
	}
	return inv, err
}

// Join creates an account through an invite link.
func (a *Accounts) Join(ctx context.Context, token string, n NewUser) (User, error) {
	if _, err := a.Invite(ctx, token); err != nil { // before any costly hashing
		return User{}, err
	}
	n.Role = RoleMember // the store applies the invite's own role
	hash, err := a.prepare(&n)
	if err != nil {
		return User{}, err
	}
	u, err := a.Store.RedeemInvite(ctx, HashToken(token), n, hash)
	if errors.Is(err, ErrNotFound) {
		return User{}, Errorf(CodeNotFound, "error.invite_invalid")
	}
	return u, err
}

// Invites lists all invites, newest first, for admins.
func (a *Accounts) Invites(ctx context.Context, actor *User) ([]Invite, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	return a.Store.Invites(ctx)
}

// RevokeInvite stops an invite from being used again.
func (a *Accounts) RevokeInvite(ctx context.Context, actor *User, id int64) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	return a.Store.RevokeInvite(ctx, actorID(actor), id)
}

// AuditLog returns the latest administrative changes, for admins.
func (a *Accounts) AuditLog(ctx context.Context, actor *User, limit int) ([]AuditEntry, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	return a.Store.AuditLog(ctx, limit)
}

// ChangePassword lets a signed-in member replace their own password, given the current
// one. Their other sessions end; the one with sessionToken stays.
func (a *Accounts) ChangePassword(ctx context.Context, u User, current, next, sessionToken string) error {
	fresh, err := a.Store.UserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	ok, err := CheckPassword(fresh.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(CodeInvalid, "error.current_password_wrong")
	}
	return a.setPassword(ctx, &fresh, fresh.Username, next, HashToken(sessionToken))
}

// PurgeExpired deletes expired sessions, setup links and old sign-in failure counts.
func (a *Accounts) PurgeExpired(ctx context.Context) (int64, error) {
	return a.Store.PurgeExpired(ctx)
}
