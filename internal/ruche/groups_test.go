package ruche_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// TestGroupCases runs the group rules for every kind of group and every kind of
// viewer: may they know it exists, read its posts, post in it, and what joining does.
func TestGroupCases(t *testing.T) {
	ctx := context.Background()
	h := newHive(t)
	groups := &ruche.Groups{Store: h.posts.Store.(interface {
		ruche.GroupStore
		AccountByUsername(context.Context, ruche.Viewer, string) (ruche.Author, error)
	})}
	owner := h.member("owner", ruche.RoleMember)
	admin := h.member("boss", ruche.RoleAdmin)
	type viewer struct {
		name  string
		role  ruche.Role
		setup func(g string, u ruche.User) // brings the viewer into their standing
	}
	join := func(g string, u ruche.User) {
		if err := groups.Invite(ctx, owner, g, u.Username); err != nil {
			t.Fatal(err)
		}
		if _, err := groups.Join(ctx, u, g); err != nil {
			t.Fatal(err)
		}
	}
	viewers := []viewer{
		{"member", ruche.RoleMember, join},
		{"moderator", ruche.RoleMember, func(g string, u ruche.User) {
			join(g, u)
			if err := groups.SetRole(ctx, owner, g, u.Username, ruche.GroupModerator); err != nil {
				t.Fatal(err)
			}
		}},
		{"outsider", ruche.RoleMember, nil},
		{"guest_out", ruche.RoleGuest, nil},
		{"guest_in", ruche.RoleGuest, join},
		{"removed", ruche.RoleMember, func(g string, u ruche.User) {
			join(g, u)
			if err := groups.Remove(ctx, owner, g, u.Username); err != nil {
				t.Fatal(err)
			}
		}},
		{"invited", ruche.RoleMember, func(g string, u ruche.User) {
			if err := groups.Invite(ctx, owner, g, u.Username); err != nil {
				t.Fatal(err)
			}
		}},
	}
	// want[kind][viewer] = may know it exists, may read its posts.
	type expect struct{ know, read bool }
	want := map[ruche.GroupKind]map[string]expect{
		ruche.GroupOpen: {"member": {true, true}, "moderator": {true, true}, "outsider": {true, false}, "guest_out": {false, false},
			"guest_in": {true, true}, "removed": {true, false}, "invited": {true, false}, "boss": {true, true}},
		ruche.GroupClosed: {"member": {true, true}, "moderator": {true, true}, "outsider": {true, false}, "guest_out": {false, false},
			"guest_in": {true, true}, "removed": {true, false}, "invited": {true, false}, "boss": {true, true}},
		ruche.GroupSecret: {"member": {true, true}, "moderator": {true, true}, "outsider": {false, false}, "guest_out": {false, false},
			"guest_in": {true, true}, "removed": {false, false}, "invited": {true, false}, "boss": {true, true}},
	}
	for _, kind := range []ruche.GroupKind{ruche.GroupOpen, ruche.GroupClosed, ruche.GroupSecret} {
		handle := "g_" + string(kind)
		g, err := groups.Create(ctx, owner, handle, ruche.GroupFields{Name: handle, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		users := map[string]ruche.User{"boss": admin}
		for _, v := range viewers {
			u := h.member(fmt.Sprintf("%s_%s", v.name, kind), v.role)
			if v.setup != nil {
				v.setup(handle, u)
			}
			users[v.name] = u
		}
		p := h.post(owner, ruche.NewPost{Source: "inside", GroupHandle: handle})
		if p.Visibility != ruche.VisGroup || p.Group == nil || p.Group.ID != g.ID {
			t.Fatalf("group post = %+v", p)
		}
		for name, u := range users {
			exp := want[kind][name]
			_, err := groups.Get(ctx, u, handle)
			if know := err == nil; know != exp.know {
				t.Errorf("%s group, %s: knows it exists = %v, want %v (%v)", kind, name, know, exp.know, err)
			}
			if !exp.know && ruche.ErrorCode(err) != ruche.CodeNotFound {
				t.Errorf("%s group, %s: %v, want not found", kind, name, err)
			}
			_, err = h.posts.Post(ctx, u, p.ID)
			if read := err == nil; read != exp.read {
				t.Errorf("%s group, %s: reads its post = %v, want %v", kind, name, read, exp.read)
			}
			_, err = h.posts.Create(ctx, u, ruche.NewPost{Source: "me too", GroupHandle: handle})
			mayPost := exp.read && name != "boss" // admins see every group but post only where they belong
			if (err == nil) != mayPost {
				t.Errorf("%s group, %s: posting allowed = %v (%v), want %v", kind, name, err == nil, err, mayPost)
			}
		}
		// A company admin reads every group but does not answer in one they are not in.
		_, err = h.posts.Create(ctx, admin, ruche.NewPost{Source: "from above", InReplyToID: p.ID})
		wantCode(t, err, ruche.CodeForbidden, "error.group_members_only")
		// Joining: open lets in, closed asks, secret refuses the uninvited (as not found).
		outsider := h.member("late_"+string(kind), ruche.RoleMember)
		state, err := groups.Join(ctx, outsider, handle)
		switch kind {
		case ruche.GroupOpen:
			if state != ruche.StateMember || err != nil {
				t.Errorf("open join: %s %v", state, err)
			}
		case ruche.GroupClosed:
			if state != ruche.StateRequested || err != nil {
				t.Errorf("closed join: %s %v", state, err)
			}
		case ruche.GroupSecret:
			wantCode(t, err, ruche.CodeNotFound, "error.group_not_found")
		}
	}
	wantCode(t, groups.Leave(ctx, owner, "g_open"), ruche.CodeInvalid, "error.group_last_owner")
}
