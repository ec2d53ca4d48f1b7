package main

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestMastoListsPrivacy: a list is filled and read by the rule of every account read.
// A suspended member, whom GET /api/v1/accounts/:id does not find, cannot be added
// either, and drops out of the lists that held them; an owner made a guest sees among
// their lists' members only the people a guest may know.
func TestMastoListsPrivacy(t *testing.T) {
	m, base := boot(t)
	ctx := context.Background()
	member(t, m, base, "root", ruche.RoleAdmin) // suspensions and demotions leave an admin
	alice := member(t, m, base, "alice", ruche.RoleMember)
	bob := member(t, m, base, "bob", ruche.RoleMember)
	sue := member(t, m, base, "sue", ruche.RoleMember)
	zed := member(t, m, base, "zed", ruche.RoleMember)
	list := smList(t, alice)
	path := "/api/v1/lists/" + list + "/accounts"
	members := func() []string {
		t.Helper()
		var as []struct {
			ID string `json:"id"`
		}
		alice.get(path, &as)
		out := []string{}
		for _, a := range as {
			out = append(out, a.ID)
		}
		slices.Sort(out)
		return out
	}
	ids := func(cs ...*mclient) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, idOf(c.user.ID))
		}
		slices.Sort(out)
		return out
	}

	if err := m.db.store.SetSuspended(ctx, 0, zed.user.ID, true); err != nil {
		t.Fatal(err)
	}
	alice.want(http.StatusNotFound, "GET", "/api/v1/accounts/"+idOf(zed.user.ID), nil)
	alice.want(http.StatusNotFound, "POST", path, map[string]any{"account_ids": ids(zed)})
	alice.want(http.StatusNotFound, "POST", path, map[string]any{"account_ids": ids(bob, zed)})
	if got := members(); len(got) != 0 {
		t.Errorf("after refused adds, members → %v, want none", got)
	}

	// Suspended once on the list, sue is left out of it.
	alice.ok("POST", path, map[string]any{"account_ids": ids(bob, sue)})
	if err := m.db.store.SetSuspended(ctx, 0, sue.user.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, want := members(), ids(bob); !slices.Equal(got, want) {
		t.Errorf("with sue suspended, members → %v, want %v", got, want)
	}

	// Made a guest, alice no longer sees bob, who never wrote to her.
	if err := m.db.store.SetRole(ctx, 0, alice.user.ID, ruche.RoleGuest); err != nil {
		t.Fatal(err)
	}
	if got := members(); len(got) != 0 {
		t.Errorf("to alice made a guest, members → %v, want none", got)
	}
}
