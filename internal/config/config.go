// Package config is Ruche's configuration: one struct, read once from the environment
// (and optional flags), validated with errors that name the bad setting. Everything
// else receives values from it; nothing reads the environment on its own.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a Ruche node.
type Config struct {
	Addr           string         // listen address, host:port
	DataDir        string         // data directory (embedded cluster, later media)
	DatabaseURL    string         // external PostgreSQL; empty: the embedded cluster
	Host           string         // public host name (and port), e.g. hive.example.com
	Protocol       string         // "https" or, in development, "http"
	Dev            bool           // development mode
	TLSCert        string         // serve HTTPS directly with these files
	TLSKey         string         //
	TrustedProxies []netip.Prefix // whose X-Forwarded-For/-Proto are believed
	LogLevel       slog.Level
	PGUser         string // OS user that runs the embedded cluster when ruche runs as root
	PublishCounts  bool   // NodeInfo and the instance documents give the number of members
	AccountDomain  string // domain of handles (@alice@acme.com); "" is Host
	SecretKey      string // seals actors' private keys; "" reads or makes <data>/secret_key
	SecretPrevious string // the secret key before a rotation, still accepted for opening
	GroupSharing   string // who shares groups with partners: "admins" or "owners" (ruche.SharingPolicy)
	Media          Media
	// PreviewInternal are the company's hosts whose links never get a preview fetched
	// ("wiki.acme.com", "*.corp.acme.com").
	PreviewInternal []string
}

// Media is where uploads go and how large they may be.
type Media struct {
	Dir       string // local directory of the files, when there is no bucket
	S3        S3     // an S3-compatible bucket, when S3.Bucket is set
	ImageMax  int64  // bytes
	VideoMax  int64
	FileMax   int64
	URLPeriod time.Duration // capability URLs are the same for a period and valid one more
}

// S3 locates an S3-compatible bucket.
type S3 struct {
	Endpoint, Region, Bucket, AccessKey, SecretKey, Prefix string
	PathStyle, Insecure                                    bool
}

// Setting describes one configuration variable, for parsing, --help and the README.
type Setting struct {
	Env     string
	Flag    string
	Default string
	Help    string
}

// Settings is every variable, in the order --help and the README list them.
var Settings = []Setting{
	{"RUCHE_ADDR", "addr", ":8080", "listen address (host:port)"},
	{"RUCHE_DATA", "data", "./var", "data directory; holds the embedded PostgreSQL cluster"},
	{"DATABASE_URL", "database-url", "", "PostgreSQL URL; when empty, ruche runs its own cluster in the data directory"},
	{"RUCHE_HOST", "host", "", "public host name, e.g. hive.example.com (default in development: localhost and the listen port)"},
	{"RUCHE_PROTOCOL", "protocol", "https", "public protocol: https; http in (and only in) development mode, where it is the default"},
	{"RUCHE_DEV", "dev", "false", "development mode: allows http; says so loudly at start-up"},
	{"RUCHE_TLS_CERT", "tls-cert", "", "certificate file (PEM) to serve HTTPS directly; else sit behind a reverse proxy"},
	{"RUCHE_TLS_KEY", "tls-key", "", "private key file (PEM) for RUCHE_TLS_CERT"},
	{"RUCHE_TRUSTED_PROXIES", "trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For/-Proto are believed"},
	{"RUCHE_LOG_LEVEL", "log-level", "info", "debug, info, warn or error"},
	{"RUCHE_PG_USER", "pg-user", "postgres", "OS user that owns and runs the embedded cluster when ruche runs as root"},
	{"RUCHE_ACCOUNT_DOMAIN", "account-domain", "", "domain of handles, e.g. acme.com for @alice@acme.com while ruche runs at RUCHE_HOST (default: the host); settle it before the first partner"},
	{"RUCHE_SECRET_KEY", "secret-key", "", "secret (32+ characters: openssl rand -base64 32) that seals federation private keys; default: made once in <data>/secret_key. Every node needs the same one"},
	{"RUCHE_SECRET_KEY_PREVIOUS", "secret-key-previous", "", "the previous RUCHE_SECRET_KEY during a rotation (see README)"},
	{"RUCHE_PUBLISH_COUNTS", "publish-counts", "false", "give the number of members in NodeInfo and /api/v2/instance (off: a company's size is its own business)"},
	{"RUCHE_GROUP_SHARING", "group-sharing", "admins", "who may share a group with partner instances: admins, or owners (a group's owners too, with the partners admins added)"},
	{"RUCHE_PREVIEW_INTERNAL_HOSTS", "preview-internal-hosts", "", "comma-separated company hosts whose links never get a preview fetched, e.g. wiki.acme.com,*.corp.acme.com"},
	{"RUCHE_MEDIA_DIR", "media-dir", "", "directory of uploaded files (default: <data>/media); not used with RUCHE_S3_BUCKET"},
	{"RUCHE_MEDIA_IMAGE_MB", "media-image-mb", "16", "largest image upload, in MB"},
	{"RUCHE_MEDIA_VIDEO_MB", "media-video-mb", "100", "largest video or sound upload, in MB"},
	{"RUCHE_MEDIA_FILE_MB", "media-file-mb", "50", "largest file upload (documents, spreadsheets…), in MB"},
	{"RUCHE_MEDIA_URL_PERIOD", "media-url-period", "24h", "media URLs are the same for this long (so apps' caches work) and valid one period more"},
	{"RUCHE_S3_BUCKET", "s3-bucket", "", "S3-compatible bucket for uploaded files, for several nodes (private: files are served only by ruche)"},
	{"RUCHE_S3_ENDPOINT", "s3-endpoint", "", "the bucket's endpoint, host[:port], e.g. s3.eu-west-3.amazonaws.com"},
	{"RUCHE_S3_REGION", "s3-region", "", "the bucket's region"},
	{"RUCHE_S3_ACCESS_KEY", "s3-access-key", "", "access key id for the bucket"},
	{"RUCHE_S3_SECRET_KEY", "s3-secret-key", "", "secret access key for the bucket"},
	{"RUCHE_S3_PREFIX", "s3-prefix", "", "prefix of ruche's objects in the bucket"},
	{"RUCHE_S3_PATH_STYLE", "s3-path-style", "false", "address the bucket by path (MinIO, Garage) rather than by host name"},
	{"RUCHE_S3_INSECURE", "s3-insecure", "false", "reach the endpoint over plain http (development only)"},
}

// FlagSet returns a flag set with one flag per setting, for subcommands that accept
// them; values given on the command line win over the environment.
func FlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	for _, s := range Settings {
		if s.Default == "false" { // a switch: --dev alone means true
			fs.Bool(s.Flag, false, s.Help+" ["+s.Env+"]")
			continue
		}
		fs.String(s.Flag, "", s.Help+" ["+s.Env+"]")
	}
	return fs
}

// Help writes the settings table for --help.
func Help(w io.Writer) {
	fmt.Fprintln(w, "Settings (environment variable, flag, default):")
	for _, s := range Settings {
		def := s.Default
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "  %-22s --%-16s %-10s %s\n", s.Env, s.Flag, def, s.Help)
	}
}

// Load reads the settings from getenv, overridden by any flag of fs that was set (fs
// may be nil), and validates them.
func Load(getenv func(string) string, fs *flag.FlagSet) (Config, error) {
	set := map[string]bool{}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	}
	v := map[string]string{}
	for _, s := range Settings {
		val := getenv(s.Env)
		if set[s.Flag] {
			val = fs.Lookup(s.Flag).Value.String()
		}
		if val == "" && s.Env != "RUCHE_PROTOCOL" { // its default depends on RUCHE_DEV
			val = s.Default
		}
		v[s.Env] = strings.TrimSpace(val)
	}
	return parse(v)
}

// settingError names the setting that is wrong and why.
func settingError(env, format string, args ...any) error {
	return fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...))
}

func parse(v map[string]string) (Config, error) {
	c := Config{
		Addr:        v["RUCHE_ADDR"],
		DataDir:     v["RUCHE_DATA"],
		DatabaseURL: v["DATABASE_URL"],
		Host:        v["RUCHE_HOST"],
		TLSCert:     v["RUCHE_TLS_CERT"],
		TLSKey:      v["RUCHE_TLS_KEY"],
		PGUser:      v["RUCHE_PG_USER"],

		SecretKey:      v["RUCHE_SECRET_KEY"],
		SecretPrevious: v["RUCHE_SECRET_KEY_PREVIOUS"],
		GroupSharing:   strings.ToLower(v["RUCHE_GROUP_SHARING"]),
	}
	var errs []error
	dev, err := strconv.ParseBool(v["RUCHE_DEV"])
	if err != nil {
		errs = append(errs, settingError("RUCHE_DEV", "%q is not true or false", v["RUCHE_DEV"]))
	}
	c.Dev = dev
	if c.PublishCounts, err = strconv.ParseBool(v["RUCHE_PUBLISH_COUNTS"]); err != nil {
		errs = append(errs, settingError("RUCHE_PUBLISH_COUNTS", "%q is not true or false", v["RUCHE_PUBLISH_COUNTS"]))
	}

	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		errs = append(errs, settingError("RUCHE_ADDR", "%q is not host:port (e.g. :8080 or 127.0.0.1:8080)", c.Addr))
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		errs = append(errs, settingError("RUCHE_ADDR", "port %q is not a number from 0 to 65535", port))
	} else if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			errs = append(errs, settingError("RUCHE_ADDR", "host %q is not an IP address or localhost", host))
		}
	}

	if c.DataDir == "" {
		errs = append(errs, settingError("RUCHE_DATA", "must not be empty"))
	}

	// The protocol defaults to https; in development with none chosen, http.
	c.Protocol = v["RUCHE_PROTOCOL"]
	switch c.Protocol {
	case "":
		c.Protocol = "https"
	case "https":
		if c.Dev {
			errs = append(errs, settingError("RUCHE_PROTOCOL", "https is refused together with RUCHE_DEV=true (development mode serves http)"))
		}
	case "http":
		if !c.Dev {
			errs = append(errs, settingError("RUCHE_PROTOCOL", "http is allowed only in development mode (RUCHE_DEV=true)"))
		}
	default:
		errs = append(errs, settingError("RUCHE_PROTOCOL", "%q is not https or http", c.Protocol))
	}
	if c.Dev {
		c.Protocol = "http"
	}

	if c.Host == "" {
		if c.Dev {
			c.Host = "localhost"
			if port != "" && port != "80" && port != "0" {
				c.Host += ":" + port
			}
		} else {
			errs = append(errs, settingError("RUCHE_HOST", "must be set to the public host name (e.g. hive.example.com)"))
		}
	} else if strings.ContainsAny(c.Host, "/ @?#") {
		errs = append(errs, settingError("RUCHE_HOST", "%q must be a host name with an optional port, not a URL", c.Host))
	}

	if d := strings.ToLower(v["RUCHE_ACCOUNT_DOMAIN"]); d != "" {
		if strings.ContainsAny(d, "/ @?#:") || !strings.Contains(d, ".") && d != "localhost" {
			errs = append(errs, settingError("RUCHE_ACCOUNT_DOMAIN", "%q must be a domain name such as acme.com, not a URL", d))
		} else if h, _, _ := strings.Cut(strings.ToLower(c.Host), ":"); d != h {
			c.AccountDomain = d
		}
	}
	for _, k := range []string{"RUCHE_SECRET_KEY", "RUCHE_SECRET_KEY_PREVIOUS"} {
		if s := v[k]; s != "" && len(s) < 32 {
			errs = append(errs, settingError(k, "must be at least 32 characters (make one with: openssl rand -base64 32)"))
		}
	}

	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, settingError("RUCHE_TLS_CERT", "RUCHE_TLS_CERT and RUCHE_TLS_KEY go together"))
	}
	if c.TLSCert != "" && c.Dev {
		errs = append(errs, settingError("RUCHE_TLS_CERT", "not used in development mode, which serves http"))
	}

	for _, s := range strings.Split(v["RUCHE_TRUSTED_PROXIES"], ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			if a, err2 := netip.ParseAddr(s); err2 == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				errs = append(errs, settingError("RUCHE_TRUSTED_PROXIES", "%q is not a CIDR such as 10.0.0.0/8", s))
				continue
			}
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}

	if err := c.LogLevel.UnmarshalText([]byte(v["RUCHE_LOG_LEVEL"])); err != nil {
		errs = append(errs, settingError("RUCHE_LOG_LEVEL", "%q is not debug, info, warn or error", v["RUCHE_LOG_LEVEL"]))
	}
	if c.PGUser == "" {
		errs = append(errs, settingError("RUCHE_PG_USER", "must not be empty"))
	}
	c.Media = Media{Dir: v["RUCHE_MEDIA_DIR"], S3: S3{Endpoint: v["RUCHE_S3_ENDPOINT"], Region: v["RUCHE_S3_REGION"], Bucket: v["RUCHE_S3_BUCKET"],
		AccessKey: v["RUCHE_S3_ACCESS_KEY"], SecretKey: v["RUCHE_S3_SECRET_KEY"], Prefix: v["RUCHE_S3_PREFIX"]}}
	if c.Media.Dir == "" {
		c.Media.Dir = filepath.Join(c.DataDir, "media")
	}
	for _, mb := range []struct {
		env string
		to  *int64
	}{{"RUCHE_MEDIA_IMAGE_MB", &c.Media.ImageMax}, {"RUCHE_MEDIA_VIDEO_MB", &c.Media.VideoMax}, {"RUCHE_MEDIA_FILE_MB", &c.Media.FileMax}} {
		n, err := strconv.ParseInt(v[mb.env], 10, 64)
		if err != nil || n < 1 || n > 10_000 {
			errs = append(errs, settingError(mb.env, "%q is not a number of MB from 1 to 10000", v[mb.env]))
		}
		*mb.to = n << 20
	}
	if c.Media.URLPeriod, err = time.ParseDuration(v["RUCHE_MEDIA_URL_PERIOD"]); err != nil || c.Media.URLPeriod < time.Minute || c.Media.URLPeriod > 30*24*time.Hour {
		errs = append(errs, settingError("RUCHE_MEDIA_URL_PERIOD", "%q is not a duration from 1m to 720h, such as 24h", v["RUCHE_MEDIA_URL_PERIOD"]))
	}
	for _, b := range []struct {
		env string
		to  *bool
	}{{"RUCHE_S3_PATH_STYLE", &c.Media.S3.PathStyle}, {"RUCHE_S3_INSECURE", &c.Media.S3.Insecure}} {
		if *b.to, err = strconv.ParseBool(v[b.env]); err != nil {
			errs = append(errs, settingError(b.env, "%q is not true or false", v[b.env]))
		}
	}
	if c.Media.S3.Bucket != "" && (c.Media.S3.Endpoint == "" || c.Media.S3.AccessKey == "" || c.Media.S3.SecretKey == "") {
		errs = append(errs, settingError("RUCHE_S3_BUCKET", "needs RUCHE_S3_ENDPOINT, RUCHE_S3_ACCESS_KEY and RUCHE_S3_SECRET_KEY"))
	}
	if c.Media.S3.Insecure && !c.Dev {
		errs = append(errs, settingError("RUCHE_S3_INSECURE", "is allowed only in development mode (RUCHE_DEV=true)"))
	}
	for _, h := range strings.Split(v["RUCHE_PREVIEW_INTERNAL_HOSTS"], ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			if strings.ContainsAny(h, "/ @?#") {
				errs = append(errs, settingError("RUCHE_PREVIEW_INTERNAL_HOSTS", "%q is not a host name or *.domain", h))
			}
			c.PreviewInternal = append(c.PreviewInternal, h)
		}
	}
	if c.GroupSharing != "admins" && c.GroupSharing != "owners" {
		errs = append(errs, settingError("RUCHE_GROUP_SHARING", "%q is not admins or owners", v["RUCHE_GROUP_SHARING"]))
	}
	return c, errors.Join(errs...)
}

// BaseURL is the public root URL, without a trailing slash.
func (c Config) BaseURL() string { return c.Protocol + "://" + c.Host }

// Secure reports whether the public side is https (cookies get the Secure flag).
func (c Config) Secure() bool { return c.Protocol == "https" }
