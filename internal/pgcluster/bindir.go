package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoServer is returned (possibly wrapped, see errors.Is) when no suitable
// PostgreSQL server binaries are installed. Its message is a single line that
// tells the operator how to fix it, because it is usually printed as-is.
var ErrNoServer error = noServerError{}

// noServerError carries the wanted major version so the install hint can name
// the right package, while still matching ErrNoServer with errors.Is.
type noServerError struct{ major string }

func (e noServerError) Error() string {
	if e.major == "" {
		return "PostgreSQL server binaries not found (initdb, postgres): install them with `apt-get install postgresql` or set DATABASE_URL"
	}
	return fmt.Sprintf("PostgreSQL %s server binaries not found (initdb, postgres): install them with `apt-get install postgresql-%s` or set DATABASE_URL", e.major, e.major)
}

// Is makes every noServerError match ErrNoServer whatever its major.
func (e noServerError) Is(target error) bool {
	_, ok := target.(noServerError)
	return ok
}

// FindBinDir returns the directory holding the server binaries (initdb and
// postgres) of the given major version ("15", "9.6"); "" accepts any version
// and prefers the newest. Candidates are, in order: `pg_config --bindir`,
// /usr/lib/postgresql/*/bin, then every PATH entry; a candidate matches when
// both binaries exist and `postgres --version` reports the wanted major. With
// a specific major, the first match in that order wins. When nothing matches
// the error satisfies errors.Is(err, ErrNoServer).
func FindBinDir(major string) (string, error) {
	var (
		bestDir string
		bestVer []int
	)
	for _, dir := range candidateBinDirs() {
		ver, err := serverVersion(dir)
		if err != nil {
			continue
		}
		if major != "" {
			if majorOf(ver) == major {
				return dir, nil
			}
			continue
		}
		if bestDir == "" || compareVersions(ver, bestVer) > 0 {
			bestDir, bestVer = dir, ver
		}
	}
	if bestDir == "" {
		return "", noServerError{major: major}
	}
	return bestDir, nil
}

// candidateBinDirs lists directories that may hold server binaries, in search
// order and without duplicates.
func candidateBinDirs() []string {
	var dirs []string
	if pgConfig, err := exec.LookPath("pg_config"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := exec.CommandContext(ctx, pgConfig, "--bindir").Output()
		cancel()
		if err == nil {
			dirs = append(dirs, strings.TrimSpace(string(out)))
		}
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = append(dirs, globbed...)
	dirs = append(dirs, filepath.SplitList(os.Getenv("PATH"))...)

	seen := make(map[string]bool)
	var out []string
	for _, d := range dirs {
		if d == "" || !filepath.IsAbs(d) {
			continue // a relative PATH entry would depend on our cwd
		}
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// serverVersion returns the numeric version of the postgres binary in dir,
// e.g. [15 18], after checking that initdb sits next to it.
func serverVersion(dir string) ([]int, error) {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return nil, fmt.Errorf("%s is not executable", filepath.Join(dir, name))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return nil, err
	}
	return parseVersion(string(out))
}

// parseVersion extracts the version from `postgres --version` output such as
// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" or "... 17devel".
func parseVersion(s string) ([]int, error) {
	fields := strings.Fields(s)
	for i, f := range fields {
		if f == "(PostgreSQL)" && i+1 < len(fields) {
			return leadingNumbers(fields[i+1])
		}
	}
	return nil, fmt.Errorf("unrecognised postgres version output %q", strings.TrimSpace(s))
}

// leadingNumbers parses "15.18", "16beta1" or "9.6.24" into their leading
// dot-separated numbers.
func leadingNumbers(s string) ([]int, error) {
	var nums []int
	for _, part := range strings.Split(s, ".") {
		end := 0
		for end < len(part) && part[end] >= '0' && part[end] <= '9' {
			end++
		}
		if end == 0 {
			break
		}
		n, err := strconv.Atoi(part[:end])
		if err != nil {
			return nil, err
		}
		nums = append(nums, n)
		if end < len(part) {
			break // "16beta1": the suffix ends the version
		}
	}
	if len(nums) == 0 {
		return nil, fmt.Errorf("no version number in %q", s)
	}
	return nums, nil
}

// majorOf returns the major version as written in PG_VERSION: the first
// number since PostgreSQL 10, the first two before that ("9.6").
func majorOf(v []int) string {
	if len(v) >= 2 && v[0] < 10 {
		return fmt.Sprintf("%d.%d", v[0], v[1])
	}
	if len(v) == 0 {
		return ""
	}
	return strconv.Itoa(v[0])
}

// compareVersions orders numeric versions; missing components count as 0.
func compareVersions(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// clusterBinDir picks the binaries for the cluster in dir: those of the major
// recorded in PG_VERSION when it exists (a newer server cannot open the data
// files), the newest otherwise. An explicit binDir is verified, not trusted.
func clusterBinDir(dir, binDir, dataMajor string) (string, error) {
	if binDir == "" {
		found, err := FindBinDir(dataMajor)
		if err != nil && dataMajor != "" {
			return "", fmt.Errorf("pgcluster: %s holds a PostgreSQL %s cluster: %w", dir, dataMajor, err)
		}
		return found, err
	}
	binDir, err := filepath.Abs(binDir)
	if err != nil {
		return "", err
	}
	ver, err := serverVersion(binDir)
	if err != nil {
		return "", fmt.Errorf("pgcluster: no usable server binaries in %s: %v: %w", binDir, err, ErrNoServer)
	}
	if dataMajor != "" && majorOf(ver) != dataMajor {
		return "", fmt.Errorf("pgcluster: %s holds a PostgreSQL %s cluster but %s has PostgreSQL %s: %w",
			dir, dataMajor, binDir, majorOf(ver), noServerError{major: dataMajor})
	}
	return binDir, nil
}

// readDataMajor returns the content of dir/PG_VERSION, or "" if there is none.
func readDataMajor(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	major := strings.TrimSpace(string(b))
	if major == "" {
		return "", fmt.Errorf("pgcluster: %s is empty", filepath.Join(dir, "PG_VERSION"))
	}
	return major, nil
}
