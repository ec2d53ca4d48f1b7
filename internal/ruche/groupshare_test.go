package ruche_test

import (
	"context"
	"slices"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// sharing is a hive with partners, for the rules of sharing groups.
type sharing struct {
	t        *testing.T
	accounts *ruche.Accounts
	fed      *ruche.Federation
	groups   *ruche.Groups // under the default policy (admins)
	owners   *ruche.Groups // under SharingOwners
}

func newSharing(t *testing.T, partners ...string) *sharing {
	t.Helper()
	s := testdb.NewStore(t)
	sh := &sharing{t: t, accounts: &ruche.Accounts{Store: s}, fed: &ruche.Federation{Store: s, BaseURL: "https://hive.example"},
		groups: &ruche.Groups{Store: s, Shares: s}, owners: &ruche.Groups{Store: s, Shares: s, Sharing: ruche.SharingOwners}}
	for _, d := range partners {
		if _, err := sh.fed.AddPartner(context.Background(), nil, d, ""); err != nil {
			t.Fatal(err)
		}
	}
	return sh
}

func (sh *sharing) group(owner ruche.User, handle string, kind ruche.GroupKind) ruche.Group {
	sh.t.Helper()
	g, err := sh.groups.Create(context.Background(), owner, handle, ruche.GroupFields{Name: handle, Kind: kind})
	if err != nil {
		sh.t.Fatal(err)
	}
	return g
}

// member brings u into the group handle, invited by owner.
func (sh *sharing) member(owner, u ruche.User, handle string) {
	sh.t.Helper()
	ctx := context.Background()
	if err := sh.groups.Invite(ctx, owner, handle, u.Username); err != nil {
		sh.t.Fatal(err)
	}
	if _, err := sh.groups.Join(ctx, u, handle); err != nil {
		sh.t.Fatal(err)
	}
}

func wantList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil || !slices.Equal(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// TestShareRules: who may share which group with which instance, under each policy.
func TestShareRules(t *testing.T) {
	ctx := context.Background()
	sh := newSharing(t, "hub.example", "b.example", "asleep.example")
	if _, err := sh.fed.SetPartnerState(ctx, nil, "asleep.example", ruche.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	admin := makeUser(t, sh.accounts, "boss", ruche.RoleAdmin)
	owner := makeUser(t, sh.accounts, "olga", ruche.RoleMember)
	mia := makeUser(t, sh.accounts, "mia", ruche.RoleMember)
	nina := makeUser(t, sh.accounts, "nina", ruche.RoleMember)
	gus := makeUser(t, sh.accounts, "gus", ruche.RoleGuest)
	sh.group(owner, "design", ruche.GroupClosed)
	sh.group(owner, "lunch", ruche.GroupOpen)
	sh.group(owner, "ops", ruche.GroupSecret)
	sh.member(owner, mia, "design")
	sh.member(owner, gus, "design")
	if err := sh.groups.SetRole(ctx, owner, "design", "gus", ruche.GroupOwner); err != nil {
		t.Fatal(err)
	}

	refused := []struct {
		name          string
		groups        *ruche.Groups
		u             ruche.User
		handle, where string
		code          ruche.Code
		key           string
	}{
		{"owner, admins' policy", sh.groups, owner, "design", "hub.example", ruche.CodeForbidden, "error.group_share_admins_only"},
		{"member, owners' policy", sh.owners, mia, "design", "hub.example", ruche.CodeForbidden, "error.group_share_owners_only"},
		{"guest owner, owners' policy", sh.owners, gus, "design", "hub.example", ruche.CodeForbidden, "error.group_share_owners_only"},
		{"non-member of a secret group", sh.groups, nina, "ops", "hub.example", ruche.CodeNotFound, "error.group_not_found"},
		{"no such group", sh.groups, admin, "nothing", "hub.example", ruche.CodeNotFound, "error.group_not_found"},
		{"secret group", sh.groups, admin, "ops", "hub.example", ruche.CodeInvalid, "error.group_secret_not_shareable"},
		{"secret group, owner", sh.owners, owner, "ops", "hub.example", ruche.CodeInvalid, "error.group_secret_not_shareable"},
		{"a URL", sh.groups, admin, "design", "https://hub.example/", ruche.CodeInvalid, "error.partner_domain_invalid"},
		{"not a partner", sh.groups, admin, "design", "elsewhere.example", ruche.CodeInvalid, "error.partner_unknown"},
		{"suspended partner", sh.groups, admin, "design", "asleep.example", ruche.CodeInvalid, "error.partner_unknown"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.u
			wantCode(t, tt.groups.Share(ctx, &u, tt.handle, tt.where), tt.code, tt.key)
			// Unsharing is refused alike to whoever may not share, or not know of, the group.
			if tt.code != ruche.CodeInvalid {
				wantCode(t, tt.groups.Unshare(ctx, &u, tt.handle, "hub.example"), tt.code, tt.key)
			}
		})
	}
	for _, h := range []string{"design", "lunch", "ops"} {
		if got, _ := sh.groups.SharedWith(ctx, &admin, h); len(got) != 0 {
			t.Fatalf("a refused share went through: %s is shared with %v", h, got)
		}
	}

	// An admin shares (the domain normalized); doing it again changes nothing.
	for range 2 {
		if err := sh.groups.Share(ctx, &admin, "@Design", "Hub.Example:443"); err != nil {
			t.Fatal(err)
		}
	}
	// Under the owners' policy the owner shares too; the operator console always may.
	if err := sh.owners.Share(ctx, &owner, "lunch", "b.example"); err != nil {
		t.Fatal(err)
	}
	if err := sh.groups.Share(ctx, nil, "lunch", "hub.example"); err != nil {
		t.Fatal(err)
	}

	// Everyone who may know the group sees with whom it is shared, on every read.
	for _, u := range []ruche.User{admin, owner, mia, nina} {
		got, err := sh.groups.SharedWith(ctx, &u, "design")
		if err != nil {
			t.Fatal(err)
		}
		wantList(t, u.Username+" sees design shared with", got, "hub.example")
		g, err := sh.groups.Get(ctx, u, "lunch")
		if err != nil {
			t.Fatal(err)
		}
		wantList(t, u.Username+" gets lunch shared with", g.SharedWith, "b.example", "hub.example")
	}
	list, err := sh.groups.List(ctx, mia)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range list {
		if g.Handle == "design" {
			wantList(t, "design in the list", g.SharedWith, "hub.example")
		}
	}
	_, err = sh.groups.SharedWith(ctx, &nina, "ops")
	wantCode(t, err, ruche.CodeNotFound, "error.group_not_found")

	// Candidates: active partners not shared yet; none for a secret group; only for
	// those who may share.
	got, err := sh.groups.ShareCandidates(ctx, &admin, "design")
	if err != nil {
		t.Fatal(err)
	}
	wantList(t, "design's candidates", got, "b.example")
	got, err = sh.groups.ShareCandidates(ctx, &admin, "ops")
	if err != nil {
		t.Fatal(err)
	}
	wantList(t, "a secret group's candidates", got)
	_, err = sh.groups.ShareCandidates(ctx, &mia, "design")
	wantCode(t, err, ruche.CodeForbidden, "error.group_share_admins_only")

	// A shared group does not become secret; other changes go through.
	wantCode(t, sh.groups.Update(ctx, owner, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupSecret}),
		ruche.CodeInvalid, "error.group_shared_not_secret")
	if err := sh.groups.Update(ctx, owner, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupOpen}); err != nil {
		t.Fatal(err)
	}

	// Unsharing: then it may become secret.
	if err := sh.groups.Unshare(ctx, &admin, "design", "HUB.example"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, sh.groups.Unshare(ctx, &admin, "design", "hub.example"), ruche.CodeNotFound, "error.group_not_shared_with")
	if err := sh.groups.Update(ctx, owner, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupSecret}); err != nil {
		t.Fatal(err)
	}
	if err := sh.owners.Unshare(ctx, &owner, "lunch", "b.example"); err != nil {
		t.Fatal(err)
	}
	if err := sh.groups.Unshare(ctx, nil, "lunch", "hub.example"); err != nil {
		t.Fatal(err)
	}
	g, err := sh.groups.Get(ctx, mia, "lunch")
	if err != nil {
		t.Fatal(err)
	}
	wantList(t, "lunch after unsharing", g.SharedWith)
}

// TestSharePolicyValues: the zero value is the admins' policy.
func TestSharePolicyValues(t *testing.T) {
	for p, valid := range map[ruche.SharingPolicy]bool{"": true, "admins": true, "owners": true, "members": false, "Admins": false} {
		if p.Valid() != valid {
			t.Errorf("%q.Valid() = %v, want %v", p, p.Valid(), valid)
		}
	}
	owner := ruche.User{ID: 1, Role: ruche.RoleMember}
	g := ruche.Group{ViewerState: ruche.StateMember, ViewerRole: ruche.GroupOwner}
	if (&ruche.Groups{}).MayShare(owner, g) {
		t.Error("an owner may share under the zero policy")
	}
	if !(&ruche.Groups{Sharing: ruche.SharingOwners}).MayShare(owner, g) {
		t.Error("an owner may not share under the owners' policy")
	}
	if !(&ruche.Groups{}).MayShare(ruche.User{Role: ruche.RoleAdmin}, ruche.Group{}) {
		t.Error("an admin may not share")
	}
}
