package pgcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// maxSocketPath bounds len(socket dir)+len("/.s.PGSQL.5432"): sun_path holds
// 108 bytes on Linux, and we keep some slack below that.
const maxSocketPath = 100

// socketDirFor returns where the server's Unix socket lives: dir itself when
// the socket path fits, else a short directory under /tmp derived from dir so
// that every restart (and every operator command) finds the same one.
func socketDirFor(dir string) string {
	if len(dir)+len("/"+socketName) <= maxSocketPath {
		return dir
	}
	sum := sha256.Sum256([]byte(dir))
	return "/tmp/ruche-pg-" + hex.EncodeToString(sum[:])[:12]
}

// prepareDir makes dir exist with the ownership and mode the server demands.
// When running as root it first checks that the service account can reach
// dir, since otherwise the server would fail later with a vaguer message.
func prepareDir(dir string, acct *account) error {
	// Parents get 0755: the service account must be able to walk through them.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if acct != nil {
		if err := Reachable(dir, acct.name); err != nil {
			return fmt.Errorf("pgcluster: %w; set RUCHE_DATA to a directory user %s can reach", err, acct.name)
		}
	}
	created := false
	if err := os.Mkdir(dir, 0o700); err == nil {
		created = true
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("pgcluster: %s is not a directory", dir)
	}
	if acct != nil {
		st := fi.Sys().(*syscall.Stat_t)
		if created || int(st.Uid) != acct.uid {
			// The server refuses a data directory it does not own; files a
			// root-run command may have left inside must be its too.
			if err := chownTree(dir, acct.uid, acct.gid); err != nil {
				return fmt.Errorf("pgcluster: giving %s to user %s: %w", dir, acct.name, err)
			}
		}
	}
	// The server accepts 0700 or 0750 only.
	if perm := fi.Mode().Perm(); perm != 0o700 && perm != 0o750 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
	}
	return nil
}

// ensureSocketDir creates the short socket directory (0700, owned by the
// server's user). Because it lives in the shared /tmp, an existing one is only
// accepted if it is a real directory owned by that user.
func ensureSocketDir(sock, dir string, acct *account) error {
	if sock == dir {
		return nil
	}
	wantUID := os.Geteuid()
	if acct != nil {
		wantUID = acct.uid
	}
	if err := os.Mkdir(sock, 0o700); err == nil {
		if acct != nil {
			if err := os.Lchown(sock, acct.uid, acct.gid); err != nil {
				return fmt.Errorf("pgcluster: %w", err)
			}
		}
		return nil
	} else if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgcluster: creating socket directory: %w", err)
	}
	fi, err := os.Lstat(sock)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || int(st.Uid) != wantUID {
		return fmt.Errorf("pgcluster: socket directory %s for %s is not a directory owned by uid %d; remove it", sock, dir, wantUID)
	}
	if fi.Mode().Perm() != 0o700 {
		return os.Chmod(sock, 0o700)
	}
	return nil
}

// chownTree gives every file under root to uid:gid, without following links.
func chownTree(root string, uid, gid int) error {
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// initdbLeftovers are the names an interrupted initdb (or an earlier server
// run) can leave in the data directory. Only these are ever deleted, so a
// misconfigured Dir pointing at someone's files is refused, not wiped.
var initdbLeftovers = map[string]bool{
	"base": true, "global": true, "pg_commit_ts": true, "pg_dynshmem": true,
	"pg_logical": true, "pg_multixact": true, "pg_notify": true, "pg_replslot": true,
	"pg_serial": true, "pg_snapshots": true, "pg_stat": true, "pg_stat_tmp": true,
	"pg_subtrans": true, "pg_tblspc": true, "pg_twophase": true, "pg_wal": true,
	"pg_xact": true, "pg_xlog": true, "pg_clog": true, "pg_hba.conf": true,
	"pg_ident.conf": true, "postgresql.conf": true, "postgresql.auto.conf": true,
	"postmaster.opts": true, "postmaster.pid": true, logName: true, logName + ".1": true,
	socketName: true, socketName + ".lock": true,
}

// clearLeftovers empties dir (which has no PG_VERSION) of what an interrupted
// initialisation left, and refuses if it holds anything else.
func clearLeftovers(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	for _, e := range entries {
		if !initdbLeftovers[e.Name()] {
			return fmt.Errorf("pgcluster: %s is not empty and holds no PostgreSQL cluster (found %q): refusing to initialise it; empty it or choose another directory", dir, e.Name())
		}
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("pgcluster: clearing interrupted initialisation: %w", err)
		}
	}
	return nil
}

// initCluster creates a new cluster in dir. initdb runs in the sibling
// directory dir+".initdb" and its result is moved into dir with PG_VERSION
// last: PG_VERSION therefore only exists in dir once the cluster is complete,
// and a crash at any point leaves something the next start recognises and
// redoes (a stale ".initdb" directory, or leftovers without PG_VERSION).
func initCluster(ctx context.Context, dir, binDir string, acct *account, throwaway bool) error {
	tmp := dir + ".initdb"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("pgcluster: removing interrupted initdb: %w", err)
	}
	if err := clearLeftovers(dir); err != nil {
		return err
	}
	useCUTF8 := localeAvailable()
	out, err := runInitdb(ctx, tmp, binDir, acct, useCUTF8, throwaway)
	if err != nil && useCUTF8 && strings.Contains(out, "locale") {
		out, err = runInitdb(ctx, tmp, binDir, acct, false, throwaway)
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("pgcluster: initdb failed: %v\n%s", err, lastLines(out, 20))
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	for _, e := range entries {
		if e.Name() == "PG_VERSION" {
			continue
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("pgcluster: installing new cluster: %w", err)
		}
	}
	if err := syncDir(dir, throwaway); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "PG_VERSION"), filepath.Join(dir, "PG_VERSION")); err != nil {
		return fmt.Errorf("pgcluster: installing new cluster: %w", err)
	}
	if err := syncDir(dir, throwaway); err != nil {
		return err
	}
	return os.RemoveAll(tmp)
}

// runInitdb runs initdb into a fresh tmp directory and returns its output.
func runInitdb(ctx context.Context, tmp, binDir string, acct *account, cUTF8, throwaway bool) (string, error) {
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", err
	}
	if acct != nil {
		if err := os.Lchown(tmp, acct.uid, acct.gid); err != nil {
			return "", err
		}
	}
	args := []string{"-D", tmp, "-U", superuser, "--auth=trust", "--encoding=UTF8"}
	if cUTF8 {
		args = append(args, "--locale=C.UTF-8")
	} else {
		args = append(args, "--no-locale")
	}
	if throwaway {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.Dir = tmp // our cwd may be unreadable by the service account
	cmd.Env = childEnv()
	cmd.SysProcAttr = credentialAttr(acct)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// syncDir makes renames in dir durable, unless durability is not wanted.
func syncDir(dir string, throwaway bool) error {
	if throwaway {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// localeAvailable reports whether the C.UTF-8 locale is installed; without it
// initdb would reject --locale=C.UTF-8.
func localeAvailable() bool {
	for _, p := range []string{"/usr/lib/locale/C.utf8", "/usr/lib/locale/C.UTF-8", "/usr/lib64/locale/C.utf8"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// childEnv is the environment of initdb and postgres: only what they need, so
// that PGDATA, PGHOST, PGPORT... set for Ruche itself cannot redirect them.
func childEnv() []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	lang := "C"
	if localeAvailable() {
		lang = "C.UTF-8"
	}
	return []string{"PATH=" + path, "LANG=" + lang}
}

// credentialAttr returns process attributes running a child as acct (nil:
// as ourselves).
func credentialAttr(acct *account) *syscall.SysProcAttr {
	if acct == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{
		Uid: uint32(acct.uid), Gid: uint32(acct.gid), Groups: acct.groups,
	}}
}

// lastLines returns at most n trailing non-empty lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
