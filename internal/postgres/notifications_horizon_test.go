package postgres_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/testdb"
)

// TestNotificationPollingNeverSkipsALateCommit plays, for notifications, the race
// that streams of posts survive (TestPollingNeverSkipsALateCommit): notification A gets
// its id first but commits last, after a newer notification B is already visible. An
// app that read B and polls with min_id for newer notifications must still get A.
func TestNotificationPollingNeverSkipsALateCommit(t *testing.T) {
	ctx := context.Background()
	s := testdb.NewStore(t)
	ana := user(t, s, "ana", ruche.RoleMember)
	bob := user(t, s, "bob", ruche.RoleMember)
	cat := user(t, s, "cat", ruche.RoleMember)
	dan := user(t, s, "dan", ruche.RoleMember)
	viewer := ruche.ViewerOf(ana)
	read := func(pg ruche.Page) []int64 {
		t.Helper()
		ns, err := s.NotificationsFiltered(ctx, viewer, pg, ruche.NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}

	// C: committed before anything is in flight; the app has read it.
	if err := s.SetFollowing(ctx, dan.ID, ana.ID, true); err != nil {
		t.Fatal(err)
	}
	first := read(ruche.Page{Limit: 20})
	if len(first) != 1 {
		t.Fatalf("first read = %v, want dan's follow", first)
	}
	idC := first[0]

	// A: inserted in a transaction that stays open, marked as the store's writers
	// mark theirs.
	conn, err := s.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	txA, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback(ctx)
	if _, err := txA.Exec(ctx, `SELECT set_config('application_name', 'ruche:writing-posts', true)`); err != nil {
		t.Fatal(err)
	}
	var idA int64
	if err := txA.QueryRow(ctx, `INSERT INTO notifications (account_id, kind, from_id) VALUES ($1, 'follow', $2) RETURNING id`,
		ana.ID, bob.ID).Scan(&idA); err != nil {
		t.Fatal(err)
	}
	// B: newer id, committed at once by a store path.
	if err := s.SetFollowing(ctx, cat.ID, ana.ID, true); err != nil {
		t.Fatal(err)
	}

	// The app polls while A is in flight and keeps the newest id as its cursor.
	cursor := idC
	for _, id := range read(ruche.Page{MinID: idC, Limit: 20}) {
		cursor = max(cursor, id)
	}
	if cursor != idC {
		t.Fatalf("notification %d was shown while A (%d, older id) was uncommitted: a poll after it would skip A", cursor, idA)
	}

	if err := txA.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := read(ruche.Page{MinID: cursor, Limit: 20})
	if len(got) != 2 || got[1] != idA {
		t.Errorf("poll after commit = %v, want B then A (%d), newest first", got, idA)
	}
	if got := read(ruche.Page{SinceID: cursor, Limit: 20}); len(got) != 2 {
		t.Errorf("poll with since_id after commit = %v, want B and A", got)
	}
}

// TestEveryNotificationWriterIsMarked reads the store's source: every insert into
// notifications (a literal "INSERT INTO notifications", or a call to a function that
// makes one) must run inside a transaction (s.tx) whose first statement runs
// writeTimeout, so that the horizon of NotificationsFiltered waits for it. Helpers
// that take a pgx.Tx insert inside their caller's transaction, and their callers are
// checked instead. A new path that forgets the mark fails here, without a test of
// its own. No migration may insert notifications (a trigger's insert is unmarked).
func TestEveryNotificationWriterIsMarked(t *testing.T) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var decls []*ast.FuncDecl
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
				decls = append(decls, fd)
			}
		}
	}
	insertsLiterally := func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		return ok && lit.Kind == token.STRING &&
			strings.Contains(strings.ToLower(strings.Join(strings.Fields(lit.Value), " ")), "insert into notifications")
	}
	// calledName is the name a call calls: f(…) or x.f(…).
	calledName := func(n ast.Node) string {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return ""
		}
		switch fn := call.Fun.(type) {
		case *ast.Ident:
			return fn.Name
		case *ast.SelectorExpr:
			return fn.Sel.Name
		}
		return ""
	}
	takesTx := func(fd *ast.FuncDecl) bool {
		for _, f := range fd.Type.Params.List {
			if sel, ok := f.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Tx" {
				return true
			}
		}
		return false
	}
	// The helpers that insert notifications in their caller's transaction, directly or
	// through another helper: to a fixpoint. (A store method that calls another store
	// method leaves the insert to the callee's own, checked, transaction.)
	helpers := map[string]bool{}
	inserts := func(n ast.Node) bool { return insertsLiterally(n) || helpers[calledName(n)] }
	for changed := true; changed; {
		changed = false
		for _, fd := range decls {
			if helpers[fd.Name.Name] || !takesTx(fd) {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if n != nil && inserts(n) {
					helpers[fd.Name.Name] = true
					changed = true
				}
				return !helpers[fd.Name.Name]
			})
		}
	}
	if !helpers["notify"] || !helpers["notifyGroup"] {
		t.Fatalf("the check found no helper (%v): has the source moved?", helpers)
	}
	mentions := func(n ast.Node, name string) bool {
		found := false
		ast.Inspect(n, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name == name {
				found = true
			}
			return !found
		})
		return found
	}
	checked := map[string]bool{}
	for _, fd := range decls {
		if takesTx(fd) || !mentionsInsert(fd, inserts) {
			continue
		}
		checked[fd.Name.Name] = true
		// The marked transactions of fd: closures given to s.tx that begin with writeTimeout.
		var marked []*ast.FuncLit
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && calledName(call) == "tx" && len(call.Args) > 0 {
				if fl, ok := call.Args[len(call.Args)-1].(*ast.FuncLit); ok && len(fl.Body.List) > 0 && mentions(fl.Body.List[0], "writeTimeout") {
					marked = append(marked, fl)
				}
			}
			return true
		})
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if n == nil || !inserts(n) {
				return true
			}
			for _, fl := range marked {
				if n.Pos() >= fl.Pos() && n.End() <= fl.End() {
					return true
				}
			}
			t.Errorf("%s: %s inserts notifications outside a transaction that begins with writeTimeout",
				fset.Position(n.Pos()), fd.Name.Name)
			return true
		})
	}
	for _, want := range []string{"CreatePost", "EditPost", "Boost", "SetLiked", "SetFollowing", "SetMembership", "RejectRequest"} {
		if !checked[want] {
			t.Errorf("%s was not found among the writers of notifications (checked: %v)", want, checked)
		}
	}

	sqls, err := filepath.Glob("../../migrations/*.sql")
	if err != nil || len(sqls) == 0 {
		t.Fatalf("migrations: %v %v", sqls, err)
	}
	for _, p := range sqls {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(strings.Join(strings.Fields(string(b)), " ")), "into notifications") {
			t.Errorf("%s inserts notifications in SQL, where no writer marks its transaction", p)
		}
	}
}

// mentionsInsert is true when fd's body holds a node that inserts notifications.
func mentionsInsert(fd *ast.FuncDecl, inserts func(ast.Node) bool) bool {
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if n != nil && inserts(n) {
			found = true
		}
		return !found
	})
	return found
}
