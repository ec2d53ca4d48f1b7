// Package postgres is Ruche's store: every SQL statement of the program lives here, on
// pgx. Each exported method is one transaction; driver errors stop here and become the
// domain's errors.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ruche-hive/ruche/internal/ruche"
)

var _ ruche.Store = (*Store)(nil)

// Store implements ruche.Store on a PostgreSQL pool.
type Store struct {
	pool  *pgxpool.Pool
	hot   *hot
	queue Queue // federation's jobs; see SetQueue
}

// Open connects to the database at url and checks that it answers. The caller applies
// migrations (Migrate) before serving.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	// Streams run one query text for every viewer; re-planning it per viewer cost
	// about 2 ms of a 5 ms page at 1 M posts (ruche dev bench), and JIT compiling,
	// when the planner's estimate tripped it, 80 ms. Neither helps short queries.
	if _, ok := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	h := newHot()
	if cfg.ConnConfig.Tracer == nil {
		cfg.ConnConfig.Tracer = &tracer{hot: h}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return &Store{pool: pool, hot: h}, nil
}

// Pool is the connection pool, for the job queue (River) that shares the database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes every connection.
func (s *Store) Close() { s.pool.Close() }

// Ping reports whether the database answers and the schema is current.
func (s *Store) Ping(ctx context.Context) error {
	pending, err := s.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if pending > 0 {
		return fmt.Errorf("%d migrations not applied", pending)
	}
	return nil
}

// tx runs fn in a transaction, committing when it returns nil.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// interpret turns driver errors into the domain's: no rows is not-found, a unique
// violation is a conflict whose message names what was taken.
func interpret(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ruche.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign key: what it points at is gone
		return ruche.ErrNotFound
	}
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		switch pgErr.ConstraintName {
		case "accounts_username_domain":
			return ruche.Errorf(ruche.CodeConflict, "error.username_taken")
		case "users_email":
			return ruche.Errorf(ruche.CodeConflict, "error.email_taken")
		}
		return ruche.ErrConflict
	}
	return err
}

// audit writes one audit entry inside tx. actorID 0 is the operator console.
func audit(ctx context.Context, tx pgx.Tx, actorID int64, action string, targetID int64, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	if actorID == 0 {
		detail["via"] = "console"
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (actor_id, action, target_id, detail) VALUES ($1, $2, $3, $4)`,
		nullID(actorID), action, nullID(targetID), detail)
	return err
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

type countKey struct{}

// CountQueries returns a context under which every statement the store runs is
// counted in *n: tests use it to check that a page costs the same number of queries
// whatever its size (no query per item).
func CountQueries(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, countKey{}, n), n
}

// tracer is the pool's tracer: it counts statements for CountQueries, and tells the
// read model (hot) of every write this node commits, so that a writer reads its own
// writes. River's own tables are not the read model's business.
type tracer struct {
	hot   *hot
	dirty sync.Map // *pgx.Conn → true: a transaction open on it has written
}

type writeKey struct{}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if n, ok := ctx.Value(countKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	if writes(d.SQL) {
		ctx = context.WithValue(ctx, writeKey{}, true)
	}
	return ctx
}

func (t *tracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	switch {
	case ctx.Value(writeKey{}) != nil:
		if conn.PgConn().TxStatus() == 'I' {
			t.hot.wrote()
		} else {
			t.dirty.Store(conn, true)
		}
	case d.CommandTag.String() == "COMMIT":
		if _, ok := t.dirty.LoadAndDelete(conn); ok {
			t.hot.wrote()
		}
	case d.CommandTag.String() == "ROLLBACK":
		t.dirty.Delete(conn)
	}
}

// writes reports whether a statement of ours may change rows the read model holds (all
// our SQL is written in capitals). Statements that begin with notCached write only
// what no node keeps in memory (a token's last use, say), and River's are the queue's.
func writes(sql string) bool {
	if known, ok := writesSeen.Load(sql); ok {
		return known.(bool)
	}
	w := false
	if !strings.HasPrefix(sql, notCached) {
		for _, m := range writeTarget.FindAllStringSubmatch(sql, -1) {
			w = w || cachedTables[m[1]]
		}
	}
	if writesKept.Add(1) <= 10_000 {
		writesSeen.Store(sql, w)
	}
	return w
}

// writesSeen remembers writes' answers, as the tracer asks for every statement and the
// program has a bounded set of statement texts; writesKept bounds it anyway.
var (
	writesSeen sync.Map
	writesKept atomic.Int64
)

// writeTarget finds the tables a statement writes to.
var writeTarget = regexp.MustCompile(`(?:INSERT INTO|UPDATE|DELETE FROM)\s+([a-z_]+)`)

// cachedTables are the tables whose rows the read model holds or reads facts from
// (those migrations 011 and 018 watch: a group post shows its group's shares, which
// removing a partner deletes too); writes to any other table (sessions, notifications,
// markers, the job queue) leave it as it is.
var cachedTables = map[string]bool{
	"posts": true, "mentions": true, "post_tags": true, "likes": true, "bookmarks": true, "follows": true,
	"groups": true, "group_members": true, "group_pins": true, "group_shares": true, "partners": true,
	"accounts": true, "users": true, "oauth_tokens": true, "oauth_apps": true,
}

// notCached begins a statement that writes nothing the read model holds, so that it
// does not make this node read from SQL until the write is heard (see hot).
const notCached = "/* not cached */ "
