package pgcluster

import (
	"errors"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		out, major string
	}{
		{"postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n", "15"},
		{"postgres (PostgreSQL) 9.6.24\n", "9.6"},
		{"postgres (PostgreSQL) 17devel\n", "17"},
		{"postgres (PostgreSQL) 16beta1\n", "16"},
	}
	for _, tt := range tests {
		v, err := parseVersion(tt.out)
		if err != nil {
			t.Errorf("parseVersion(%q): %v", tt.out, err)
			continue
		}
		if got := majorOf(v); got != tt.major {
			t.Errorf("majorOf(parseVersion(%q)) = %q, want %q", tt.out, got, tt.major)
		}
	}
	if _, err := parseVersion("garbage"); err == nil {
		t.Error("parseVersion(garbage) succeeded")
	}
	if compareVersions([]int{16, 1}, []int{15, 18}) <= 0 || compareVersions([]int{15}, []int{15, 0}) != 0 {
		t.Error("compareVersions orders wrongly")
	}
}

func TestFindBinDir(t *testing.T) {
	requireServer(t)
	tests := []struct {
		major, want string
		wantErr     bool
	}{
		{major: "15", want: "/usr/lib/postgresql/15/bin"},
		{major: ""},
		{major: "99", wantErr: true},
	}
	for _, tt := range tests {
		t.Run("major="+tt.major, func(t *testing.T) {
			if tt.want != "" {
				if _, err := os.Stat(filepath.Join(tt.want, "postgres")); err != nil {
					t.Skipf("%s not installed", tt.want)
				}
			}
			got, err := FindBinDir(tt.major)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("FindBinDir(%q) = %q, want an error", tt.major, got)
				}
				msg := err.Error()
				if !errors.Is(err, ErrNoServer) || strings.Contains(msg, "\n") ||
					!strings.Contains(msg, "apt-get install postgresql-"+tt.major) || !strings.Contains(msg, "DATABASE_URL") {
					t.Errorf("unclear error: %q", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("FindBinDir(%q): %v", tt.major, err)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("FindBinDir(%q) = %q, want %q", tt.major, got, tt.want)
			}
		})
	}
	if msg := ErrNoServer.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "apt-get install postgresql`") {
		t.Errorf("ErrNoServer = %q", msg)
	}
}

func TestSocketDirFor(t *testing.T) {
	short := "/var/lib/ruche/pg"
	long := "/" + strings.Repeat("x", 90)
	tests := []struct {
		dir       string
		wantSelf  bool
		wantShort bool
	}{
		{dir: short, wantSelf: true},
		{dir: "/" + strings.Repeat("x", 85), wantSelf: true}, // 86+14 = 100
		{dir: long, wantShort: true},
	}
	for _, tt := range tests {
		got := socketDirFor(tt.dir)
		if tt.wantSelf && got != tt.dir {
			t.Errorf("socketDirFor(%s) = %s, want the dir itself", tt.dir, got)
		}
		if tt.wantShort {
			if !strings.HasPrefix(got, "/tmp/ruche-pg-") || len(got) != len("/tmp/ruche-pg-")+12 {
				t.Errorf("socketDirFor(%s) = %s, want /tmp/ruche-pg-<12 hex>", tt.dir, got)
			}
			if again := socketDirFor(tt.dir); again != got {
				t.Errorf("socketDirFor is not deterministic: %s then %s", got, again)
			}
		}
	}
	if socketDirFor(long) == socketDirFor(long+"y") {
		t.Error("different dirs share a socket dir")
	}
}

func TestConnString(t *testing.T) {
	c := &Cluster{socketDir: "/tmp/ruche pg&x=1"}
	s := c.ConnString("my db")
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", s, err)
	}
	if u.Scheme != "postgres" || u.User.Username() != "ruche" || u.Host != "" || u.Path != "/my db" {
		t.Errorf("ConnString = %q: unexpected scheme, user, host or path", s)
	}
	q := u.Query()
	if q.Get("host") != c.socketDir || q.Get("sslmode") != "disable" || len(q) != 2 {
		t.Errorf("ConnString = %q: query %v", s, q)
	}
	if strings.Contains(s, "+") {
		t.Errorf("ConnString = %q: '+' is not decoded as a space by libpq", s)
	}
}

func TestCanSearch(t *testing.T) {
	a := account{name: "svc", uid: 101, gid: 104, groups: []uint32{103}}
	tests := []struct {
		name        string
		perm        uint32
		owner, grp  uint32
		wantAllowed bool
	}{
		{"owner with x", 0o700, 101, 0, true},
		{"owner without x, others with x", 0o605, 101, 0, false},
		{"primary group with x", 0o750, 0, 104, true},
		{"supplementary group with x", 0o710, 0, 103, true},
		{"group without x, others with x", 0o705, 0, 104, false},
		{"other with x", 0o711, 0, 0, true},
		{"other without x", 0o770, 0, 0, false},
	}
	for _, tt := range tests {
		if got := canSearch(tt.perm, tt.owner, tt.grp, a); got != tt.wantAllowed {
			t.Errorf("%s: canSearch(%04o) = %v, want %v", tt.name, tt.perm, got, tt.wantAllowed)
		}
	}
}

func TestReachable(t *testing.T) {
	if _, err := user.Lookup("postgres"); err != nil {
		t.Skip("no postgres user")
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	closed, err := os.MkdirTemp("", "pgcluster-closed-") // 0700, owned by us
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(closed) })
	open := baseDir(t) // 0755 under /tmp

	tests := []struct {
		name, dir, user string
		wantErr         []string // substrings; nil means reachable
	}{
		{"under 0700 parent", filepath.Join(closed, "pg"), "postgres",
			[]string{closed + " (mode 0700, owner " + me.Username + ") is not reachable by user postgres"}},
		{"under /tmp", filepath.Join(open, "pg"), "postgres", nil},
		{"missing parents under /tmp", filepath.Join(open, "x", "y", "pg"), "postgres", nil},
		{"root reaches anything", filepath.Join(closed, "pg"), "root", nil},
		{"unknown user", filepath.Join(open, "pg"), "no-such-user-pgcluster", []string{"unknown OS user"}},
	}
	if me.Username == "postgres" {
		tests[0].wantErr = nil // the owner can search its own 0700 directory
	}
	if fi, err := os.Stat("/root"); err == nil && fi.Mode().Perm() == 0o700 {
		tests = append(tests, struct {
			name, dir, user string
			wantErr         []string
		}{"/root", "/root/ruche/pg", "postgres", []string{"/root (mode 0700, owner root) is not reachable by user postgres"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Reachable(tt.dir, tt.user)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Reachable(%s, %s): %v", tt.dir, tt.user, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Reachable(%s, %s) = nil, want an error", tt.dir, tt.user)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Reachable(%s, %s) = %q, want it to contain %q", tt.dir, tt.user, err, want)
				}
			}
		})
	}
}
