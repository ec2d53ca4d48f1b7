package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// pidFile is the part of postmaster.pid we use. The layout is fixed by
// PostgreSQL (src/include/miscadmin.h, LOCK_FILE_LINE_*): pid, data dir,
// start time, port, first socket dir, listen address, shmem key, status.
type pidFile struct {
	pid       int
	socketDir string
	status    string // "starting", "stopping", "ready", "standby" or "" early on
}

// readPidFile parses a postmaster.pid (or a socket's .lock file, which starts
// the same way). A missing file yields an error satisfying os.ErrNotExist.
func readPidFile(path string) (pidFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return pidFile{}, err
	}
	lines := strings.Split(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		return pidFile{}, fmt.Errorf("pgcluster: %s holds no pid", path)
	}
	pf := pidFile{pid: pid}
	if len(lines) > 4 {
		pf.socketDir = strings.TrimSpace(lines[4])
	}
	if len(lines) > 7 {
		pf.status = strings.TrimSpace(lines[7])
	}
	return pf, nil
}

// isPostmasterOf reports whether pid is a live postgres server process whose
// data directory is dir (pids are reused, notably across container restarts,
// so liveness alone proves nothing). When /proc cannot tell, it answers true
// and lets the server's own lock-file check have the last word. With dir ""
// any postgres process qualifies.
func isPostmasterOf(pid int, dir string) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	proc := "/proc/" + strconv.Itoa(pid)
	if stat, err := os.ReadFile(proc + "/stat"); err == nil {
		// The state follows the parenthesised command name; a zombie has
		// exited and only awaits its parent.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return false
		}
	}
	if comm, err := os.ReadFile(proc + "/comm"); err == nil {
		name := strings.TrimSpace(string(comm))
		if name != "postgres" && name != "postmaster" {
			return false
		}
	}
	// The postmaster's working directory is its data directory.
	if cwd, err := os.Readlink(proc + "/cwd"); err == nil && dir != "" {
		real, rerr := filepath.EvalSymlinks(dir)
		if rerr != nil {
			real = dir
		}
		if cwd != real && cwd != dir {
			return false
		}
	}
	return true
}

// processGone reports whether pid no longer runs (or is a zombie).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// removeStaleLocks deletes postmaster.pid and the socket lock file when the
// process they name is not a server of dir any more; such files make a new
// server refuse to start when their pid has been reused.
func removeStaleLocks(dir, sockDir string) error {
	// A socket lock names the postmaster, whose cwd is its own data dir:
	// any live server holding our socket name blocks us, whatever its dir.
	for _, lock := range []struct{ path, owner string }{
		{filepath.Join(dir, "postmaster.pid"), dir},
		{filepath.Join(sockDir, socketName+".lock"), ""},
	} {
		path := lock.path
		pf, err := readPidFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil && isPostmasterOf(pf.pid, lock.owner) {
			return fmt.Errorf("pgcluster: %s names running server pid %d", path, pf.pid)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("pgcluster: removing stale %s: %w", path, err)
		}
	}
	return nil
}
