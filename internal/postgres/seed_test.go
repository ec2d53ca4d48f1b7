package postgres_test

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ruche-hive/ruche/internal/postgres"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/seed"
	"github.com/ruche-hive/ruche/internal/testdb"
)

const seedPassword = "seeded password"

// seeded is a small made-up hive loaded into a fresh database.
type seeded struct {
	store *postgres.Store
	conn  *pgx.Conn // for checks in SQL
	plan  *postgres.SeedPlan
}

func seedHive(t *testing.T, users, groups, posts int) seeded {
	t.Helper()
	ctx := context.Background()
	url := testdb.New(t)
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	hash, err := ruche.HashPassword(seedPassword)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := seed.Generate(seed.Options{Users: users, Groups: groups, Posts: posts, Seed: 3, BaseURL: "http://localhost", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Seed(ctx, plan, nil); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return seeded{store: s, conn: conn, plan: plan}
}

// TestSeedLoadsAHiveThatKeepsTheRules loads a small hive and checks, in the database,
// the counts and the rules that the generator promises.
func TestSeedLoadsAHiveThatKeepsTheRules(t *testing.T) {
	ctx := context.Background()
	h := seedHive(t, 50, 6, 2000)
	p := h.plan
	counts := map[string]int{"accounts": len(p.Accounts) + len(p.Groups), "users": len(p.Accounts), "follows": len(p.Follows),
		"groups": len(p.Groups), "group_members": len(p.Members),
		"tags": len(p.Tags), "posts": len(p.Posts), "post_tags": len(p.PostTags), "mentions": len(p.Mentions),
		"likes": len(p.Likes), "notifications": len(p.Notifications)}
	for table, want := range counts {
		var got int
		if err := h.conn.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want || got == 0 {
			t.Errorf("%s: %d rows, want %d (and some)", table, got, want)
		}
	}
	checks := []struct{ name, sql string }{
		{"direct posts that mention nobody", `SELECT count(*) FROM posts p WHERE p.visibility = 'direct' AND p.reblog_of_id IS NULL
			AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = p.id)`},
		{"replies wider than their parent", `SELECT count(*) FROM posts r JOIN posts o ON o.id = r.in_reply_to_id
			WHERE array_position(ARRAY['direct', 'followers', 'quiet', 'company'], r.visibility)
				> array_position(ARRAY['direct', 'followers', 'quiet', 'company'], o.visibility)`},
		{"replies to a missing parent", `SELECT count(*) FROM posts r WHERE r.in_reply_to_id IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM posts o WHERE o.id = r.in_reply_to_id AND o.account_id = r.in_reply_to_account_id)`},
		{"replies that do not mention the parent's author", `SELECT count(*) FROM posts r WHERE r.in_reply_to_id IS NOT NULL
			AND r.account_id <> r.in_reply_to_account_id
			AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.post_id = r.id AND m.account_id = r.in_reply_to_account_id)`},
		{"boosts of what may not be boosted", `SELECT count(*) FROM posts b JOIN posts o ON o.id = b.reblog_of_id
			WHERE o.visibility NOT IN ('company', 'quiet', 'group') OR o.reblog_of_id IS NOT NULL OR b.visibility <> o.visibility
			OR b.group_id IS DISTINCT FROM o.group_id`},
		{"guests writing beyond direct and group", `SELECT count(*) FROM posts p JOIN users u ON u.account_id = p.account_id
			WHERE u.role = 'guest' AND p.visibility NOT IN ('direct', 'group')`},
		{"group posts by non-members", `SELECT count(*) FROM posts p WHERE p.group_id IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM group_members m WHERE m.group_id = p.group_id AND m.account_id = p.account_id AND m.state = 'member')`},
		{"replies that leave or enter a group", `SELECT count(*) FROM posts r JOIN posts o ON o.id = r.in_reply_to_id
			WHERE r.group_id IS DISTINCT FROM o.group_id`},
		{"group posts that name non-members", `SELECT count(*) FROM posts p JOIN mentions n ON n.post_id = p.id
			WHERE p.group_id IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM group_members m WHERE m.group_id = p.group_id AND m.account_id = n.account_id AND m.state = 'member')`},
		{"likes of group posts by non-members", `SELECT count(*) FROM posts p JOIN likes l ON l.post_id = p.id
			WHERE p.group_id IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM group_members m WHERE m.group_id = p.group_id AND m.account_id = l.account_id AND m.state = 'member')`},
		{"groups without exactly one owner or with more than three moderators", `SELECT count(*) FROM groups g WHERE
			(SELECT count(*) FROM group_members m WHERE m.group_id = g.account_id AND m.state = 'member' AND m.role = 'owner') <> 1
			OR (SELECT count(*) FROM group_members m WHERE m.group_id = g.account_id AND m.state = 'member' AND m.role = 'moderator') > 3`},
		{"requests to groups that are not closed, invitations to groups that are not secret", `SELECT count(*) FROM group_members m
			JOIN groups g ON g.account_id = m.group_id
			WHERE m.state = 'requested' AND g.kind <> 'closed' OR m.state = 'invited' AND g.kind <> 'secret'`},
		{"groups that are not group accounts, or group accounts that can sign in", `SELECT count(*) FROM accounts a
			WHERE (a.kind = 'group') <> EXISTS (SELECT 1 FROM groups g WHERE g.account_id = a.id)
			OR a.kind = 'group' AND EXISTS (SELECT 1 FROM users u WHERE u.account_id = a.id)`},
		{"ids that do not embed their time", `SELECT count(*) FROM posts
			WHERE id >> 16 <> floor(extract(epoch FROM created_at) * 1000)::bigint OR created_at > now()`},
	}
	for _, c := range checks {
		var n int
		if err := h.conn.QueryRow(ctx, c.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, c.name)
		}
	}
	admin, err := h.store.UserByUsername(ctx, "admin")
	if err != nil || admin.Role != ruche.RoleAdmin {
		t.Fatalf("admin = %+v, %v", admin, err)
	}
	if ok, err := ruche.CheckPassword(admin.PasswordHash, seedPassword); !ok || err != nil {
		t.Errorf("the documented password does not sign in: %v, %v", ok, err)
	}
	// Seed drops and restores indexes and keys around the load: all must be back as
	// the migrations made them.
	fresh, err := pgx.Connect(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close(ctx)
	if got, want := schemaOf(t, h.conn), schemaOf(t, fresh); !slices.Equal(got, want) {
		t.Errorf("schema after seeding:\n%v\nwant\n%v", got, want)
	}
	if err := h.store.Seed(ctx, p, nil); !errors.Is(err, postgres.ErrNotEmpty) {
		t.Errorf("seeding twice: %v, want ErrNotEmpty", err)
	}
	// A post written now sorts after every seeded one: ids embed time.
	id, err := h.store.CreatePost(ctx, ruche.PostDraft{AuthorID: admin.ID, Visibility: ruche.VisCompany, Source: "x", HTML: "<p>x</p>"})
	if err != nil || id <= p.Posts[len(p.Posts)-1].ID {
		t.Errorf("new post %d (%v) does not sort after the seeded ones", id, err)
	}
}

// TestSeededStreamsMatchTheRule builds home and company pages on a seeded hive, for
// people who follow many (more than the home stream's switch of plan) and few, a guest
// and the most mentioned, and checks them against the rule applied to the plan by hand.
func TestSeededStreamsMatchTheRule(t *testing.T) {
	ctx := context.Background()
	h := seedHive(t, 300, 20, 6000)
	p := h.plan
	role, follows := map[int64]ruche.Role{}, map[[2]int64]bool{}
	member, groupsOf := map[[2]int64]bool{}, map[int64][]int64{} // group, account; account → groups
	for _, m := range p.Members {
		if m.State == ruche.StateMember {
			member[[2]int64{m.GroupID, m.AccountID}] = true
			groupsOf[m.AccountID] = append(groupsOf[m.AccountID], m.GroupID)
		}
	}
	followees, mentioned := map[int64]int{}, map[int64]int{}
	for _, a := range p.Accounts {
		role[a.ID] = a.Role
	}
	for _, f := range p.Follows {
		follows[[2]int64{f.Follower, f.Followee}] = true
		followees[f.Follower]++
	}
	mentions := map[int64][]int64{}
	for _, m := range p.Mentions {
		mentions[m.A] = append(mentions[m.A], m.B)
		mentioned[m.B]++
	}
	byID := map[int64]postgres.SeedPost{}
	for _, q := range p.Posts {
		byID[q.ID] = q
	}
	sees := func(v int64, q postgres.SeedPost) bool {
		return ruche.CanSee(q.Visibility, ruche.Relation{Author: q.AccountID == v, Follower: follows[[2]int64{v, q.AccountID}],
			Mentioned: slices.Contains(mentions[cmp.Or(q.ReblogOfID, q.ID)], v), Guest: role[v] == ruche.RoleGuest,
			GroupMember: member[[2]int64{q.GroupID, v}], Admin: role[v] == ruche.RoleAdmin})
	}
	// want is the stream by hand, newest first.
	want := func(v int64, st ruche.Stream) []int64 {
		var ids []int64
		for _, q := range slices.Backward(p.Posts) {
			in := q.Visibility == ruche.VisCompany && q.ReblogOfID == 0
			switch st.Kind {
			case ruche.StreamHome:
				in = q.AccountID == v || follows[[2]int64{v, q.AccountID}] ||
					q.Visibility == ruche.VisDirect && slices.Contains(mentions[q.ID], v) || member[[2]int64{q.GroupID, v}]
			case ruche.StreamGroup:
				in = q.GroupID == st.AccountID
			}
			if in && sees(v, q) && (q.ReblogOfID == 0 || sees(v, byID[q.ReblogOfID])) {
				ids = append(ids, q.ID)
			}
		}
		return ids
	}
	accounts := slices.Clone(p.Accounts)
	pickBy := func(score func(a postgres.SeedAccount) int) int64 {
		return slices.MaxFunc(accounts, func(a, b postgres.SeedAccount) int { return cmp.Compare(score(a), score(b)) }).ID
	}
	viewers := []int64{
		pickBy(func(a postgres.SeedAccount) int { return followees[a.ID] }),
		pickBy(func(a postgres.SeedAccount) int { return -followees[a.ID] }),
		pickBy(func(a postgres.SeedAccount) int { return mentioned[a.ID] }),
		pickBy(func(a postgres.SeedAccount) int { return boolInt(a.Role == ruche.RoleGuest) }),
		pickBy(func(a postgres.SeedAccount) int { return len(groupsOf[a.ID]) }),
	}
	for _, a := range p.Accounts[:12] {
		viewers = append(viewers, a.ID)
	}
	if followees[viewers[0]] <= 64 || role[viewers[3]] != ruche.RoleGuest || len(groupsOf[viewers[4]]) < 4 || len(groupsOf[viewers[3]]) == 0 {
		t.Fatalf("the hive lacks a heavy follower (%d), a guest in a group or a member of many groups (%d)",
			followees[viewers[0]], len(groupsOf[viewers[4]]))
	}
	// Each viewer's streams: home, company, the busiest of their groups, and a secret
	// group they are not in (which admins alone may read).
	var secret []int64
	for _, g := range p.Groups {
		if g.Kind == ruche.GroupSecret {
			secret = append(secret, g.ID)
		}
	}
	if len(secret) == 0 {
		t.Fatal("the hive has no secret group")
	}
	for _, v := range viewers {
		viewer := ruche.Viewer{ID: v, Role: role[v]}
		streams := []ruche.Stream{{Kind: ruche.StreamHome}, {Kind: ruche.StreamCompany}}
		if gs := groupsOf[v]; len(gs) > 0 {
			streams = append(streams, ruche.Stream{Kind: ruche.StreamGroup, AccountID: slices.MaxFunc(gs, func(a, b int64) int {
				return cmp.Compare(len(want(v, ruche.Stream{Kind: ruche.StreamGroup, AccountID: a})),
					len(want(v, ruche.Stream{Kind: ruche.StreamGroup, AccountID: b})))
			})})
		}
		if i := slices.IndexFunc(secret, func(g int64) bool { return !member[[2]int64{g, v}] }); i >= 0 {
			streams = append(streams, ruche.Stream{Kind: ruche.StreamGroup, AccountID: secret[i]})
		}
		for _, st := range streams {
			all := want(v, st)
			// The first page, the next one, and the page just above the second.
			pages := []struct {
				pg   ruche.Page
				from int
			}{{ruche.Page{Limit: 20}, 0}, {ruche.Page{Limit: 20}, 20}, {ruche.Page{Limit: 5}, 15}}
			if len(all) > 20 {
				pages[1].pg.MaxID = all[19]
			}
			if len(all) > 40 {
				pages[2].pg.MinID = all[20]
			}
			for _, pc := range pages {
				if pc.from > 0 && pc.pg.MaxID == 0 && pc.pg.MinID == 0 {
					continue
				}
				got, err := h.store.Timeline(ctx, viewer, st, pc.pg)
				if err != nil {
					t.Fatal(err)
				}
				wantIDs := all[min(pc.from, len(all)):min(pc.from+pc.pg.Limit, len(all))]
				var gotIDs []int64
				for _, q := range got {
					gotIDs = append(gotIDs, q.ID)
				}
				if !slices.Equal(gotIDs, wantIDs) {
					t.Errorf("%s stream %d of %d (%s, follows %d) %+v:\n got %v\nwant %v", st.Kind, st.AccountID, v, role[v], followees[v], pc.pg, gotIDs, wantIDs)
				}
			}
		}
	}
}

// TestSeededSecretGroupsStayHidden reads every secret group of a seeded hive as a
// member, as members and a guest who are not in it, and as the admin: only members and
// the admin read its posts, in its stream, in their home stream or one by one.
func TestSeededSecretGroupsStayHidden(t *testing.T) {
	ctx := context.Background()
	h := seedHive(t, 200, 20, 4000)
	p := h.plan
	role := map[int64]ruche.Role{}
	var admin int64
	for _, a := range p.Accounts {
		if role[a.ID] = a.Role; a.Role == ruche.RoleAdmin {
			admin = a.ID
		}
	}
	member := map[[2]int64]bool{}
	for _, m := range p.Members {
		member[[2]int64{m.GroupID, m.AccountID}] = m.State == ruche.StateMember
	}
	posts := map[int64][]int64{}
	for _, q := range p.Posts {
		if q.GroupID != 0 {
			posts[q.GroupID] = append(posts[q.GroupID], q.ID)
		}
	}
	checked := 0
	for _, g := range p.Groups {
		if g.Kind != ruche.GroupSecret || len(posts[g.ID]) == 0 {
			continue
		}
		checked++
		var outsiders []ruche.Viewer
		for _, a := range p.Accounts {
			if !member[[2]int64{g.ID, a.ID}] && a.Role != ruche.RoleAdmin && (len(outsiders) < 3 || a.Role == ruche.RoleGuest && len(outsiders) < 4) {
				outsiders = append(outsiders, ruche.Viewer{ID: a.ID, Role: a.Role})
			}
		}
		stream := ruche.Stream{Kind: ruche.StreamGroup, AccountID: g.ID}
		for _, v := range append(outsiders, ruche.Viewer{ID: g.CreatedBy, Role: role[g.CreatedBy]}, ruche.Viewer{ID: admin, Role: ruche.RoleAdmin}) {
			insider := member[[2]int64{g.ID, v.ID}] || v.Role == ruche.RoleAdmin
			got, err := h.store.Timeline(ctx, v, stream, ruche.Page{Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			if wantN := min(40, len(posts[g.ID])); insider && len(got) != wantN || !insider && len(got) != 0 {
				t.Errorf("secret group %s read by %d (%s, member %t): %d posts, want %d", g.Handle, v.ID, v.Role,
					member[[2]int64{g.ID, v.ID}], len(got), map[bool]int{true: wantN}[insider])
			}
			if insider {
				continue
			}
			home, err := h.store.Timeline(ctx, v, ruche.Stream{Kind: ruche.StreamHome}, ruche.Page{Limit: 40})
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range home {
				if q.Group != nil && q.Group.ID == g.ID {
					t.Errorf("secret group %s: post %d in the home stream of non-member %d", g.Handle, q.ID, v.ID)
				}
			}
			for _, id := range posts[g.ID][:min(5, len(posts[g.ID]))] {
				if _, err := h.store.Post(ctx, v, id); !errors.Is(err, ruche.ErrNotFound) {
					t.Errorf("secret group %s: post %d read by non-member %d: %v, want not found", g.Handle, id, v.ID, err)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("the hive has no secret group with posts")
	}
}

// schemaOf lists the definitions of every index and constraint.
func schemaOf(t *testing.T, c *pgx.Conn) []string {
	t.Helper()
	rows, _ := c.Query(context.Background(), `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
		UNION ALL SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`)
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(defs) < 20 {
		t.Fatalf("schema: %d definitions, %v", len(defs), err)
	}
	return defs
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
