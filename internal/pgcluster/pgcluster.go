// Package pgcluster runs Ruche's own private PostgreSQL cluster inside its
// data directory, so that a server with no DATABASE_URL configured still has
// a database without any setup by the operator.
//
// The cluster listens on a Unix socket only, is created with initdb on first
// start, survives crashes of Ruche (a still-running server is attached to)
// and of PostgreSQL (stale lock files are cleaned, WAL recovery does the rest).
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const (
	superuser  = "ruche" // cluster superuser, created by initdb
	port       = "5432"  // only names the socket: there is no TCP
	socketName = ".s.PGSQL." + port
	logName    = "postgres.log" // server stdout/stderr, inside Dir
)

// Options configures a cluster.
type Options struct {
	Dir       string       // the cluster's directory (PGDATA); made absolute; created (0700) if missing
	RunAs     string       // when the current process is root: OS user that owns and runs the cluster; default "postgres"
	BinDir    string       // optional: server binaries dir; default: discovered with FindBinDir
	Throwaway bool         // tests: fsync=off, synchronous_commit=off, full_page_writes=off
	Adopt     bool         // if a cluster is already running in Dir, Stop() will stop it too (serve passes true; operator commands pass false)
	Logger    *slog.Logger // nil => discard
}

// Cluster is a running PostgreSQL server on one data directory, either
// started by Start or found already running and attached to.
type Cluster struct {
	dir       string
	socketDir string
	owned     bool
	pid       int           // the postmaster
	exited    chan struct{} // closed when our child exits; nil if attached
	log       *slog.Logger

	mu      sync.Mutex // serialises Stop
	stopped bool
}

// Start makes a server run on opts.Dir and returns once it accepts
// connections, or fails when ctx ends first. It finds the server binaries
// (those of the cluster's major version if it exists), runs initdb on first
// start (redoing an interrupted one), cleans lock files left by a crash and
// starts postgres listening on a Unix socket only. If a healthy postgres
// already runs on Dir it attaches to it instead; the result is then Owned
// only if opts.Adopt. When running as root the cluster belongs to and runs as
// opts.RunAs, which must be able to reach Dir.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: Options.Dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if dir == "/" {
		return nil, errors.New("pgcluster: refusing to use / as the cluster directory")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var acct *account
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root, so root hands it to a service user.
		name := opts.RunAs
		if name == "" {
			name = "postgres"
		}
		a, err := lookupAccount(name)
		if err != nil {
			return nil, err
		}
		if a.uid == 0 {
			return nil, fmt.Errorf("pgcluster: RunAs user %s is root, which PostgreSQL refuses; use an unprivileged user", name)
		}
		acct = &a
	}
	if err := prepareDir(dir, acct); err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, socketDir: socketDirFor(dir), log: logger.With("pgdata", dir)}
	if err := ensureSocketDir(c.socketDir, dir, acct); err != nil {
		return nil, err
	}
	if attached, err := c.attach(ctx, opts.Adopt); err != nil || attached {
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	major, err := readDataMajor(dir)
	if err != nil {
		return nil, err
	}
	binDir, err := clusterBinDir(dir, opts.BinDir, major)
	if err != nil {
		return nil, err
	}
	if major == "" {
		c.log.Info("initialising PostgreSQL cluster", "bindir", binDir)
		if err := initCluster(ctx, dir, binDir, acct, opts.Throwaway); err != nil {
			return nil, err
		}
	} else {
		// A crash right after installing PG_VERSION can leave this behind.
		_ = os.RemoveAll(dir + ".initdb")
	}
	if err := c.launch(ctx, binDir, acct, opts.Throwaway); err != nil {
		return nil, err
	}
	c.log.Info("PostgreSQL started", "pid", c.pid, "socket_dir", c.socketDir)
	return c, nil
}

// attach looks for a server already running on the directory (Ruche was
// killed but postgres was not). It waits for one that is starting up, attaches
// to one that is ready and removes lock files left by a dead one. It reports
// whether it attached.
func (c *Cluster) attach(ctx context.Context, adopt bool) (bool, error) {
	pidPath := filepath.Join(c.dir, "postmaster.pid")
	for {
		pf, err := readPidFile(pidPath)
		if err != nil || !isPostmasterOf(pf.pid, c.dir) {
			// No file, an unreadable one or one naming a dead (or reused) pid.
			if err == nil {
				c.log.Info("removing stale postmaster.pid", "pid", pf.pid)
			}
			return false, removeStaleLocks(c.dir, c.socketDir)
		}
		sock, _, _ := strings.Cut(pf.socketDir, ",")
		sock = strings.TrimSpace(sock)
		if pf.status == "ready" {
			if sock == "" {
				return false, fmt.Errorf("pgcluster: postgres pid %d runs on %s without a Unix socket; stop it", pf.pid, c.dir)
			}
			if dialable(sock) {
				c.pid, c.socketDir, c.owned = pf.pid, sock, adopt
				c.log.Info("attached to running PostgreSQL", "pid", pf.pid, "owned", adopt)
				return true, nil
			}
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("pgcluster: postgres pid %d already runs on %s but is not ready (status %q): %w",
				pf.pid, c.dir, pf.status, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// dialable reports whether the server's socket in sockDir accepts connections.
func dialable(sockDir string) bool {
	conn, err := net.DialTimeout("unix", filepath.Join(sockDir, socketName), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// ConnString returns a libpq/pgx URL connecting to database dbname through
// the cluster's Unix socket as the superuser "ruche", e.g.
// "postgres://ruche@/dbname?host=%2Fpath%2Fto%2Fsocketdir&sslmode=disable".
func (c *Cluster) ConnString(dbname string) string {
	return "postgres://" + superuser + "@/" + urlEscape(dbname) +
		"?host=" + urlEscape(c.socketDir) + "&sslmode=disable"
}

// urlEscape percent-encodes everything but unreserved characters. Neither
// url.PathEscape (keeps '&') nor url.QueryEscape ('+' for space, which libpq
// does not decode) suits both libpq and pgx.
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' ||
			ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[ch>>4])
		b.WriteByte(hex[ch&15])
	}
	return b.String()
}

// SocketDir returns the directory holding the server's Unix socket.
func (c *Cluster) SocketDir() string { return c.socketDir }

// Dir returns the cluster's absolute data directory.
func (c *Cluster) Dir() string { return c.dir }

// Owned reports whether this Cluster started (or adopted) postgres and so
// will stop it in Stop.
func (c *Cluster) Owned() bool { return c.owned }
