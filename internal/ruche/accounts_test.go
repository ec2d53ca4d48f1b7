package ruche_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// newAccounts returns the accounts service on a fresh database.
func newAccounts(t *testing.T) *ruche.Accounts {
	t.Helper()
	return &ruche.Accounts{Store: testdb.NewStore(t)}
}

// makeUser creates a user through the operator path.
func makeUser(t *testing.T, a *ruche.Accounts, username string, role ruche.Role) ruche.User {
	t.Helper()
	u, err := a.CreateUser(context.Background(), nil, ruche.NewUser{
		Username: username, Email: username + "@example.com", Password: "correct horse battery", Role: role,
	})
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return u
}

func wantCode(t *testing.T, err error, code ruche.Code, key string) {
	t.Helper()
	var e *ruche.Error
	if !errors.As(err, &e) || e.Code != code || (key != "" && e.Key != key) {
		t.Fatalf("err = %v, want code %d key %s", err, code, key)
	}
}

func TestSetupLinkCreatesOneOwnerOnce(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	token, err := a.NewSetupLink(ctx)
	if err != nil || token == "" {
		t.Fatalf("NewSetupLink = %q, %v", token, err)
	}
	if err := a.CheckSetupLink(ctx, "wrong"); err == nil {
		t.Error("a wrong setup token was accepted")
	}
	owner := ruche.NewUser{Username: "Ana", Email: "ana@example.com", Password: "long enough pw"}

	// Two people racing on the same link: exactly one owner.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := owner
			n.Username = fmt.Sprintf("ana%d", i)
			n.Email = fmt.Sprintf("ana%d@example.com", i)
			_, errs[i] = a.Setup(ctx, token, n)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("setup race: errs = %v, want exactly one success", errs)
	}
	users, _ := a.Users(ctx, nil)
	if len(users) != 1 || users[0].Role != ruche.RoleAdmin {
		t.Fatalf("users = %+v, want one admin", users)
	}
	if err := a.CheckSetupLink(ctx, token); err == nil {
		t.Error("the setup link still works after the owner exists")
	}
	if tok, _ := a.NewSetupLink(ctx); tok != "" {
		t.Error("a new setup link was issued although an owner exists")
	}
}

func TestSetupRejectsBadInputAndKeepsLink(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	token, _ := a.NewSetupLink(ctx)
	_, err := a.Setup(ctx, token, ruche.NewUser{Username: "ana", Email: "ana@example.com", Password: "short"})
	wantCode(t, err, ruche.CodeInvalid, "error.password_too_short")
	if err := a.CheckSetupLink(ctx, token); err != nil {
		t.Errorf("a failed setup used up the link: %v", err)
	}
}

func TestNewUserValidation(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	makeUser(t, a, "taken", ruche.RoleMember)
	tests := []struct {
		name string
		in   ruche.NewUser
		key  string
		code ruche.Code
	}{
		{"bad username", ruche.NewUser{Username: "no spaces", Email: "a@example.com", Password: "long enough pw"}, "error.username_invalid", ruche.CodeInvalid},
		{"long username", ruche.NewUser{Username: "abcdefghijklmnopqrstuvwxyz012345", Email: "a@example.com", Password: "long enough pw"}, "error.username_invalid", ruche.CodeInvalid},
		{"unicode username", ruche.NewUser{Username: "zoé", Email: "a@example.com", Password: "long enough pw"}, "error.username_invalid", ruche.CodeInvalid},
		{"bad email", ruche.NewUser{Username: "bob", Email: "bob", Password: "long enough pw"}, "error.email_invalid", ruche.CodeInvalid},
		{"named email", ruche.NewUser{Username: "bob", Email: "Bob <bob@example.com>", Password: "long enough pw"}, "error.email_invalid", ruche.CodeInvalid},
		{"short password", ruche.NewUser{Username: "bob", Email: "bob@example.com", Password: "123"}, "error.password_too_short", ruche.CodeInvalid},
		{"bad role", ruche.NewUser{Username: "bob", Email: "bob@example.com", Password: "long enough pw", Role: "owner"}, "error.role_invalid", ruche.CodeInvalid},
		{"taken username, other case", ruche.NewUser{Username: "TAKEN", Email: "x@example.com", Password: "long enough pw"}, "error.username_taken", ruche.CodeConflict},
		{"taken email, other case", ruche.NewUser{Username: "fresh", Email: "Taken@Example.com", Password: "long enough pw"}, "error.email_taken", ruche.CodeConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.CreateUser(ctx, nil, tt.in)
			wantCode(t, err, tt.code, tt.key)
		})
	}
	users, _ := a.Users(ctx, nil)
	if len(users) != 1 {
		t.Errorf("bad input created users: %d, want 1", len(users))
	}
}

func TestSignIn(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	u := makeUser(t, a, "bob", ruche.RoleMember)
	info := ruche.SessionInfo{IP: "192.0.2.1"}

	for _, login := range []string{"bob", "BOB", "bob@example.com", " Bob@Example.com "} {
		token, got, err := a.SignIn(ctx, login, "correct horse battery", info)
		if err != nil || got.ID != u.ID || token == "" {
			t.Fatalf("SignIn(%q) = %v, %v", login, got.Username, err)
		}
		if me, err := a.Authenticate(ctx, token); err != nil || me.ID != u.ID {
			t.Fatalf("Authenticate = %v, %v", me.Username, err)
		}
		if err := a.SignOut(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, token); !errors.Is(err, ruche.ErrNotFound) {
			t.Fatalf("session lives on after sign-out: %v", err)
		}
	}
	_, _, err := a.SignIn(ctx, "bob", "wrong password", info)
	wantCode(t, err, ruche.CodeUnauthenticated, "error.signin_failed")
	_, _, err = a.SignIn(ctx, "nobody", "wrong password", info)
	wantCode(t, err, ruche.CodeUnauthenticated, "error.signin_failed")
}

func TestSignInLimitPerAccount(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	makeUser(t, a, "bob", ruche.RoleMember)
	for i := range ruche.MaxAccountFailures {
		// From different addresses, so only the account's own limit applies.
		info := ruche.SessionInfo{IP: fmt.Sprintf("198.51.100.%d", i)}
		_, _, err := a.SignIn(ctx, "bob", "guess", info)
		wantCode(t, err, ruche.CodeUnauthenticated, "")
	}
	_, _, err := a.SignIn(ctx, "bob", "correct horse battery", ruche.SessionInfo{IP: "203.0.113.5"})
	wantCode(t, err, ruche.CodeRateLimited, "error.signin_rate_limited")

	// A name that does not exist locks out the same way, so the lock-out does not
	// reveal which names exist.
	for i := range ruche.MaxAccountFailures {
		_, _, err := a.SignIn(ctx, "ghost", "guess", ruche.SessionInfo{IP: fmt.Sprintf("198.51.101.%d", i)})
		wantCode(t, err, ruche.CodeUnauthenticated, "")
	}
	_, _, err = a.SignIn(ctx, "ghost", "guess", ruche.SessionInfo{IP: "203.0.113.5"})
	wantCode(t, err, ruche.CodeRateLimited, "error.signin_rate_limited")
}

// TestSignInLimitHoldsUnderParallelGuesses fires many wrong guesses at once: no more
// than the limit may be checked.
func TestSignInLimitHoldsUnderParallelGuesses(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	makeUser(t, a, "bob", ruche.RoleMember)
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	for i := range 3 * ruche.MaxAccountFailures {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := a.SignIn(ctx, "bob", "guess", ruche.SessionInfo{IP: fmt.Sprintf("198.51.100.%d", i)})
			if ruche.ErrorCode(err) == ruche.CodeUnauthenticated {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if checked > ruche.MaxAccountFailures {
		t.Errorf("%d parallel guesses were checked, limit %d", checked, ruche.MaxAccountFailures)
	}
}

func TestSignInLimitPerIPv6Network(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	for i := range ruche.MaxAddressFailures {
		// Rotating through one /64 does not escape the address limit.
		_, _, err := a.SignIn(ctx, fmt.Sprintf("nobody%d", i), "guess", ruche.SessionInfo{IP: fmt.Sprintf("2001:db8::%x", i+1)})
		wantCode(t, err, ruche.CodeUnauthenticated, "")
	}
	_, _, err := a.SignIn(ctx, "someone", "guess", ruche.SessionInfo{IP: "2001:db8::ffff"})
	wantCode(t, err, ruche.CodeRateLimited, "")
}

func TestSignInLimitPerAddress(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	makeUser(t, a, "bob", ruche.RoleMember)
	info := ruche.SessionInfo{IP: "192.0.2.99"}
	for i := range ruche.MaxAddressFailures {
		_, _, err := a.SignIn(ctx, fmt.Sprintf("nobody%d", i), "guess", info)
		wantCode(t, err, ruche.CodeUnauthenticated, "")
	}
	_, _, err := a.SignIn(ctx, "bob", "correct horse battery", info)
	wantCode(t, err, ruche.CodeRateLimited, "")
	// Another address is not affected.
	if _, _, err := a.SignIn(ctx, "bob", "correct horse battery", ruche.SessionInfo{IP: "192.0.2.100"}); err != nil {
		t.Fatalf("other address: %v", err)
	}
}

func TestSuspendEndsSessions(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	admin := makeUser(t, a, "root", ruche.RoleAdmin)
	makeUser(t, a, "bob", ruche.RoleMember)
	token, _, err := a.SignIn(ctx, "bob", "correct horse battery", ruche.SessionInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SetSuspended(ctx, &admin, "bob", true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, token); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("suspended member's session still works: %v", err)
	}
	_, _, err = a.SignIn(ctx, "bob", "correct horse battery", ruche.SessionInfo{})
	wantCode(t, err, ruche.CodeForbidden, "error.account_suspended")
	if err := a.SetSuspended(ctx, &admin, "bob", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SignIn(ctx, "bob", "correct horse battery", ruche.SessionInfo{}); err != nil {
		t.Errorf("reinstated member cannot sign in: %v", err)
	}
	log, _ := a.AuditLog(ctx, &admin, 10)
	if len(log) < 2 || log[0].Action != ruche.AuditUserUnsuspended || log[1].Action != ruche.AuditUserSuspended || log[1].ActorUsername != "root" {
		t.Errorf("audit log = %+v", log)
	}
}

func TestOnlyAdminsAdminister(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	makeUser(t, a, "root", ruche.RoleAdmin)
	mod := makeUser(t, a, "mod", ruche.RoleModerator)
	_, _, err := a.CreateInvite(ctx, &mod, ruche.RoleMember, 1, time.Hour)
	wantCode(t, err, ruche.CodeForbidden, "")
	err = a.SetSuspended(ctx, &mod, "root", true)
	wantCode(t, err, ruche.CodeForbidden, "")
	err = a.SetRole(ctx, &mod, "mod", ruche.RoleAdmin)
	wantCode(t, err, ruche.CodeForbidden, "")
	_, err = a.AuditLog(ctx, &mod, 10)
	wantCode(t, err, ruche.CodeForbidden, "")
}

func TestLastAdminStays(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	root := makeUser(t, a, "root", ruche.RoleAdmin)
	err := a.SetRole(ctx, nil, "root", ruche.RoleMember)
	wantCode(t, err, ruche.CodeInvalid, "error.last_admin")
	err = a.SetSuspended(ctx, nil, "root", true)
	wantCode(t, err, ruche.CodeInvalid, "error.last_admin")
	err = a.SetSuspended(ctx, &root, "root", true)
	wantCode(t, err, ruche.CodeInvalid, "error.cannot_suspend_self")
	u, _ := a.Store.UserByUsername(ctx, "root")
	if u.Role != ruche.RoleAdmin || u.SuspendedAt != nil {
		t.Errorf("root changed: %+v", u)
	}
	makeUser(t, a, "second", ruche.RoleAdmin)
	if err := a.SetRole(ctx, nil, "root", ruche.RoleMember); err != nil {
		t.Errorf("demoting one of two admins: %v", err)
	}
}

func TestInvites(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	root := makeUser(t, a, "root", ruche.RoleAdmin)
	join := func(token, name string) error {
		_, err := a.Join(ctx, token, ruche.NewUser{Username: name, Email: name + "@example.com", Password: "long enough pw"})
		return err
	}

	_, single, err := a.CreateInvite(ctx, &root, ruche.RoleGuest, 1, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := join(single, "gina"); err != nil {
		t.Fatal(err)
	}
	gina, _ := a.Store.UserByUsername(ctx, "gina")
	if gina.Role != ruche.RoleGuest {
		t.Errorf("invited as guest, got role %s", gina.Role)
	}
	wantCode(t, join(single, "again"), ruche.CodeNotFound, "error.invite_invalid")

	// A taken username fails and does not use up the invite.
	_, multi, _ := a.CreateInvite(ctx, &root, ruche.RoleMember, 2, 24*time.Hour)
	wantCode(t, join(multi, "gina"), ruche.CodeConflict, "error.username_taken")
	if err := join(multi, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := join(multi, "m2"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, join(multi, "m3"), ruche.CodeNotFound, "error.invite_invalid")

	// Expired and revoked invites do not work.
	clock := time.Now()
	a.Now = func() time.Time { return clock.Add(-48 * time.Hour) }
	_, expired, _ := a.CreateInvite(ctx, &root, ruche.RoleMember, 5, 24*time.Hour)
	a.Now = nil
	wantCode(t, join(expired, "late"), ruche.CodeNotFound, "error.invite_invalid")
	inv, revoked, _ := a.CreateInvite(ctx, &root, ruche.RoleMember, 5, 24*time.Hour)
	if err := a.RevokeInvite(ctx, &root, inv.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, join(revoked, "nope"), ruche.CodeNotFound, "error.invite_invalid")
	wantCode(t, join("made-up", "nope"), ruche.CodeNotFound, "error.invite_invalid")

	// Bad invite parameters.
	for _, tc := range []struct {
		role ruche.Role
		uses int
		ttl  time.Duration
	}{{ruche.RoleAdmin, 1, time.Hour}, {ruche.RoleMember, 0, time.Hour}, {ruche.RoleMember, 1001, time.Hour}, {ruche.RoleMember, 1, time.Minute}, {ruche.RoleMember, 1, 100 * 24 * time.Hour}} {
		_, _, err := a.CreateInvite(ctx, &root, tc.role, tc.uses, tc.ttl)
		wantCode(t, err, ruche.CodeInvalid, "")
	}
	users, _ := a.Users(ctx, nil)
	if len(users) != 4 {
		t.Errorf("users = %d, want 4 (root, gina, m1, m2)", len(users))
	}
}

func TestInviteLastUseRace(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	root := makeUser(t, a, "root", ruche.RoleAdmin)
	_, token, _ := a.CreateInvite(ctx, &root, ruche.RoleMember, 1, time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.Join(ctx, token, ruche.NewUser{Username: fmt.Sprintf("p%d", i), Email: fmt.Sprintf("p%d@example.com", i), Password: "long enough pw"})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d people joined through a single-use invite, want 1", ok)
	}
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	bob := makeUser(t, a, "bob", ruche.RoleMember)
	here, _, _ := a.SignIn(ctx, "bob", "correct horse battery", ruche.SessionInfo{})
	elsewhere, _, _ := a.SignIn(ctx, "bob", "correct horse battery", ruche.SessionInfo{})
	wantCode(t, a.ChangePassword(ctx, bob, "wrong", "a new long password", here), ruche.CodeInvalid, "error.current_password_wrong")
	wantCode(t, a.ChangePassword(ctx, bob, "correct horse battery", "short", here), ruche.CodeInvalid, "error.password_too_short")
	if err := a.ChangePassword(ctx, bob, "correct horse battery", "a new long password", here); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, here); err != nil {
		t.Errorf("the session that changed the password ended: %v", err)
	}
	if _, err := a.Authenticate(ctx, elsewhere); err == nil {
		t.Error("another session survived a password change")
	}
	// An operator's reset ends every session.
	if err := a.SetPassword(ctx, nil, "bob", "reset by the operator"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, here); err == nil {
		t.Error("a session survived a password reset")
	}
	if _, _, err := a.SignIn(ctx, "bob", "reset by the operator", ruche.SessionInfo{}); err != nil {
		t.Fatal(err)
	}
	if err := a.ChangePassword(ctx, bob, "reset by the operator", "a new long password", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SignIn(ctx, "bob", "a new long password", ruche.SessionInfo{}); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	other := makeUser(t, a, "eve", ruche.RoleMember)
	wantCode(t, a.SetPassword(ctx, &other, "bob", "eve's choice pw"), ruche.CodeForbidden, "")
}

func TestPurgeExpired(t *testing.T) {
	ctx := context.Background()
	a := newAccounts(t)
	if _, err := a.PurgeExpired(ctx); err != nil {
		t.Fatal(err)
	}
}
