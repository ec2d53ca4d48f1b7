package pgcluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is the OS identity the cluster's files belong to and its processes
// run as.
type account struct {
	name   string
	uid    int
	gid    int
	groups []uint32 // supplementary groups, for the child's credential
}

// lookupAccount resolves an OS user name to its ids and groups.
func lookupAccount(name string) (account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return account{}, fmt.Errorf("pgcluster: unknown OS user %q: %w", name, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return account{}, fmt.Errorf("pgcluster: user %s has a non-numeric uid %q", name, u.Uid)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("pgcluster: user %s has a non-numeric gid %q", name, u.Gid)
	}
	a := account{name: name, uid: uid, gid: gid}
	ids, err := u.GroupIds()
	if err != nil {
		// Not fatal: the primary group alone is what initdb created the
		// cluster with, supplementary groups are a convenience.
		ids = nil
	}
	for _, s := range ids {
		if g, err := strconv.ParseUint(s, 10, 32); err == nil {
			a.groups = append(a.groups, uint32(g))
		}
	}
	return a, nil
}

// hasGroup reports whether gid is the account's primary or supplementary group.
func (a account) hasGroup(gid uint32) bool {
	if int(gid) == a.gid {
		return true
	}
	for _, g := range a.groups {
		if g == gid {
			return true
		}
	}
	return false
}

// Reachable returns nil when OS user username can reach dir, that is when it
// has search (execute) permission on every existing parent directory of dir,
// judged like the kernel does from the owner, group or other bits (the first
// class that applies decides) and the user's groups; ACLs are not considered.
// dir itself is not checked (Start makes it owned by the user) and parents
// that do not exist yet are skipped. Otherwise the error names the first
// blocking directory, e.g. "/root (mode 0700, owner root) is not reachable by
// user postgres".
func Reachable(dir, username string) error {
	acct, err := lookupAccount(username)
	if err != nil {
		return err
	}
	if acct.uid == 0 {
		return nil // root bypasses permission bits
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	path, err := resolveExisting(abs)
	if err != nil {
		return err
	}
	for _, p := range parents(path) {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // to be created by Start, with mode 0755
		}
		if err != nil {
			return fmt.Errorf("pgcluster: cannot check whether user %s can reach %s: %w", username, p, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil // not a Unix file system view; let the server decide
		}
		if !canSearch(uint32(fi.Mode().Perm()), st.Uid, st.Gid, acct) {
			return fmt.Errorf("%s (mode %04o, owner %s) is not reachable by user %s",
				p, fi.Mode().Perm(), ownerName(st.Uid), username)
		}
	}
	return nil
}

// canSearch applies the Unix rule: the owner bits apply to the owner, else
// the group bits to group members, else the other bits.
func canSearch(perm, ownerUID, ownerGID uint32, a account) bool {
	switch {
	case int(ownerUID) == a.uid:
		return perm&0o100 != 0
	case a.hasGroup(ownerGID):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// parents returns the ancestors of the absolute path p, from "/" down to its
// immediate parent.
func parents(p string) []string {
	var out []string
	for d := filepath.Dir(p); ; d = filepath.Dir(d) {
		out = append([]string{d}, out...)
		if d == "/" || d == "." {
			return out
		}
	}
}

// resolveExisting resolves symlinks in the longest existing prefix of abs, so
// that the directories checked are the ones the kernel will walk through.
func resolveExisting(abs string) (string, error) {
	rest := ""
	for p := abs; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				return "", err
			}
			return filepath.Join(real, rest), nil
		}
		if p == "/" {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

// ownerName returns the user name for uid, or the number if it has none.
func ownerName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return id
}
