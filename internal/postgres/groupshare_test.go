package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestGroupSharesStore: shares are audited, refused for secret groups and partners that
// are not active, read with every group, and gone with their partner; federation finds
// a group only through a share, never a secret one.
func TestGroupSharesStore(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	for _, p := range []ruche.Partner{{Domain: "hub.example", State: ruche.PartnerActive}, {Domain: "b.example", State: ruche.PartnerActive},
		{Domain: "asleep.example", State: ruche.PartnerSuspended}} {
		if _, err := s.PutPartner(ctx, 0, p); err != nil {
			t.Fatal(err)
		}
	}
	olga := user(t, s, "olga", ruche.RoleMember)
	design, err := s.CreateGroup(ctx, olga.ID, "design", ruche.GroupFields{Name: "Design", Kind: ruche.GroupClosed})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := s.CreateGroup(ctx, olga.ID, "ops", ruche.GroupFields{Name: "Ops", Kind: ruche.GroupSecret})
	if err != nil {
		t.Fatal(err)
	}
	shares := func(id int64) []string {
		t.Helper()
		got, err := s.GroupShares(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	for range 2 { // the second time changes nothing and writes no audit entry
		if err := s.ShareGroup(ctx, olga.ID, design, "hub.example"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ShareGroup(ctx, 0, design, "b.example"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'group.share' AND target_id = $1 AND actor_id = $2
		AND detail->>'domain' = 'hub.example'`, design, olga.ID); n != 1 {
		t.Errorf("audit entries of the share = %d, want 1", n)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'group.share' AND actor_id IS NULL
		AND detail->>'domain' = 'b.example' AND detail->>'via' = 'console'`); n != 1 {
		t.Errorf("audit entries of the console's share = %d, want 1", n)
	}
	if n := count(t, s, `SELECT count(*) FROM group_shares WHERE shared_by IS NULL AND domain = 'b.example'`); n != 1 {
		t.Errorf("the console's share has a sharer")
	}

	// Refused: a secret group, a partner that is not one or is suspended, no group.
	var e *ruche.Error
	if err := s.ShareGroup(ctx, olga.ID, ops, "hub.example"); !errors.As(err, &e) || e.Key != "error.group_secret_not_shareable" {
		t.Errorf("sharing a secret group: %v", err)
	}
	for _, d := range []string{"elsewhere.example", "asleep.example"} {
		if err := s.ShareGroup(ctx, olga.ID, design, d); !errors.Is(err, ruche.ErrNotFound) {
			t.Errorf("sharing with %s: %v, want not found", d, err)
		}
	}
	if err := s.ShareGroup(ctx, olga.ID, 424242, "hub.example"); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("sharing no group: %v, want not found", err)
	}
	if got := shares(ops); len(got) != 0 {
		t.Errorf("secret group shared with %v", got)
	}

	// Every read of the group carries its shares, sorted.
	want := []string{"b.example", "hub.example"}
	if got := shares(design); !slices.Equal(got, want) {
		t.Errorf("GroupShares = %v, want %v", got, want)
	}
	g, err := s.Group(ctx, ruche.Viewer{ID: olga.ID, Role: olga.Role}, "design")
	if err != nil || !slices.Equal(g.SharedWith, want) {
		t.Errorf("Group = %+v, %v; want shared with %v", g, err, want)
	}
	gs, err := s.Groups(ctx, ruche.Viewer{ID: olga.ID, Role: olga.Role})
	if err != nil || len(gs) != 2 {
		t.Fatalf("Groups = %+v, %v", gs, err)
	}
	for _, g := range gs {
		if g.ID == design && !slices.Equal(g.SharedWith, want) || g.ID == ops && g.SharedWith == nil || g.ID == ops && len(g.SharedWith) > 0 {
			t.Errorf("Groups: %s shared with %#v", g.Handle, g.SharedWith)
		}
	}
	if got, err := s.ShareCandidates(ctx, design); err != nil || len(got) != 0 {
		t.Errorf("candidates of design = %v, %v; want none (the other partner is suspended)", got, err)
	}
	if got, err := s.ShareCandidates(ctx, ops); err != nil || !slices.Equal(got, want) {
		t.Errorf("candidates of ops = %v, %v; want %v", got, err, want)
	}

	// Federation sees the group only through a share, without any viewer's facts.
	fg, err := s.FederatedGroup(ctx, design, "hub.example")
	if err != nil || fg.Handle != "design" || fg.Members != 1 || fg.ViewerState != "" || fg.ViewerRole != "" || !slices.Equal(fg.SharedWith, want) {
		t.Errorf("FederatedGroup = %+v, %v", fg, err)
	}
	if fg, err := s.FederatedGroupByHandle(ctx, "Design", "b.example"); err != nil || fg.ID != design {
		t.Errorf("FederatedGroupByHandle = %+v, %v", fg, err)
	}
	if err := s.GroupShared(ctx, design, "hub.example"); err != nil {
		t.Errorf("GroupShared(design, hub) = %v", err)
	}
	// A share row on a secret group (written behind the use cases' back) reveals nothing.
	if _, err := s.Pool().Exec(ctx, `INSERT INTO group_shares (group_id, domain) VALUES ($1, 'hub.example')`, ops); err != nil {
		t.Fatal(err)
	}
	for _, probe := range []struct {
		id     int64
		handle string
		domain string
	}{{design, "design", "asleep.example"}, {design, "design", "elsewhere.example"}, {ops, "ops", "hub.example"}, {424242, "nothing", "hub.example"}} {
		if _, err := s.FederatedGroup(ctx, probe.id, probe.domain); !errors.Is(err, ruche.ErrNotFound) {
			t.Errorf("FederatedGroup(%s, %s): %v, want not found", probe.handle, probe.domain, err)
		}
		if _, err := s.FederatedGroupByHandle(ctx, probe.handle, probe.domain); !errors.Is(err, ruche.ErrNotFound) {
			t.Errorf("FederatedGroupByHandle(%s, %s): %v, want not found", probe.handle, probe.domain, err)
		}
		if err := s.GroupShared(ctx, probe.id, probe.domain); !errors.Is(err, ruche.ErrNotFound) {
			t.Errorf("GroupShared(%s, %s): %v, want not found", probe.handle, probe.domain, err)
		}
	}
	if _, err := s.Pool().Exec(ctx, `DELETE FROM group_shares WHERE group_id = $1`, ops); err != nil {
		t.Fatal(err)
	}

	// A shared group does not become secret.
	err = s.UpdateGroup(ctx, design, ruche.GroupFields{Name: "Design", Kind: ruche.GroupSecret})
	if !errors.As(err, &e) || e.Key != "error.group_shared_not_secret" {
		t.Errorf("making a shared group secret: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM groups WHERE account_id = $1 AND kind = 'closed'`, design); n != 1 {
		t.Error("the refused change was made")
	}

	// Unsharing, audited; a second time is not found.
	if err := s.UnshareGroup(ctx, olga.ID, design, "hub.example"); err != nil {
		t.Fatal(err)
	}
	if err := s.UnshareGroup(ctx, olga.ID, design, "hub.example"); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("second unshare: %v, want not found", err)
	}
	if n := count(t, s, `SELECT count(*) FROM audit_log WHERE action = 'group.unshare' AND target_id = $1 AND detail->>'domain' = 'hub.example'`, design); n != 1 {
		t.Errorf("audit entries of the unshare = %d, want 1", n)
	}
	if _, err := s.FederatedGroup(ctx, design, "hub.example"); !errors.Is(err, ruche.ErrNotFound) {
		t.Errorf("unshared group still federated to hub: %v", err)
	}

	// Removing the partner unshares everything with it; then the group may be secret.
	if err := s.RemovePartner(ctx, 0, "b.example"); err != nil {
		t.Fatal(err)
	}
	if got := shares(design); len(got) != 0 {
		t.Errorf("shares after the partner's removal = %v", got)
	}
	if err := s.UpdateGroup(ctx, design, ruche.GroupFields{Name: "Design", Kind: ruche.GroupSecret}); err != nil {
		t.Errorf("making an unshared group secret: %v", err)
	}
}
