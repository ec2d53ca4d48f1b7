package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ruche-hive/ruche/internal/config"
	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/jobs"
	"github.com/ruche-hive/ruche/internal/linkpreview"
	"github.com/ruche-hive/ruche/internal/live"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/internal/safehttp"
	"github.com/ruche-hive/ruche/internal/server"
	"github.com/ruche-hive/ruche/internal/webpush"
	"github.com/ruche-hive/ruche/web"
)

// jobRescueAfter, when set with -ldflags "-X main.jobRescueAfter=5s", replaces how long
// a job of a dead process stays "running" before it is run again, so that a test of
// kill -9 need not wait two minutes.
var jobRescueAfter string

// Main is a running Ruche node. Open starts it; Close stops it in order.
type Main struct {
	Config config.Config
	Stdout io.Writer // where the setup link is printed
	Log    *slog.Logger

	// SetupURL is the one-time owner link printed at start-up on an empty instance.
	SetupURL string

	lock          *os.File
	db            *database
	hub           *live.Hub
	stopListening context.CancelFunc
	queue         *river.Client[pgx.Tx]
	fed           *ruche.Federation
	media         *ruche.Media
	ln            net.Listener
	http          *http.Server
	served        chan error
}

// Open starts the database, migrates, starts the job queue and begins serving. It
// returns once the listener is bound; Addr tells where.
func (m *Main) Open(ctx context.Context) (err error) {
	cfg := m.Config
	defer func() {
		if err != nil {
			m.Close(context.WithoutCancel(ctx))
		}
	}()
	if cfg.Dev {
		m.Log.Warn("DEVELOPMENT MODE: serving plain http on " + cfg.BaseURL() + " — never use RUCHE_DEV=true in production")
	}
	if cfg.DatabaseURL == "" {
		if m.lock, err = lockDataDir(ctx, cfg.DataDir); err != nil {
			return err
		}
	}
	if cfg.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey); err != nil {
			return fmt.Errorf("RUCHE_TLS_CERT/RUCHE_TLS_KEY: %w", err)
		}
	}
	// Bind early so a bad or busy address fails before anything starts.
	if m.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return fmt.Errorf("RUCHE_ADDR: cannot listen on %s: %w", cfg.Addr, errors.Unwrap(err))
	}
	// In development on a port picked by the system, the public address is the one
	// just bound: links, Link headers and the streaming URL apps follow must reach it.
	if _, port, _ := net.SplitHostPort(cfg.Addr); cfg.Dev && port == "0" && cfg.Host == "localhost" {
		_, bound, _ := net.SplitHostPort(m.ln.Addr().String())
		cfg.Host = "localhost:" + bound
		m.Config.Host = cfg.Host
	}
	if m.db, err = openDatabase(ctx, cfg, m.Log, true); err != nil {
		return err
	}
	if err := migrate(ctx, m.db.store, m.Log); err != nil {
		return err
	}
	catalog, err := i18n.Load(web.FS)
	if err != nil {
		return err
	}
	accounts := &ruche.Accounts{Store: m.db.store, Log: m.Log}
	push := &ruche.Push{
		Store: m.db.store, Sender: webpush.New(cfg.BaseURL(), cfg.Dev), Catalog: catalog,
		Icon:         func(ruche.Author) string { return cfg.BaseURL() + "/static/avatar.png" }, // the API's default avatar
		AllowPrivate: cfg.Dev,
	}
	if jobRescueAfter != "" { // set at link time by the crash tests only
		if jobs.RescueStuckJobsAfter, err = time.ParseDuration(jobRescueAfter); err != nil {
			return err
		}
	}
	fed, err := newFederation(cfg, m.db.store, m.Log)
	if err != nil {
		return err
	}
	m.fed = fed
	if err := fed.CheckKeys(ctx); err != nil {
		return fmt.Errorf("RUCHE_SECRET_KEY: %w", err)
	}
	media, err := newMedia(cfg, m.db.store, m.Log)
	if err != nil {
		return err
	}
	m.media = media
	fed.Media = media
	previews := &ruche.Previews{Store: m.db.store, Fetcher: &linkpreview.Fetcher{
		Client:    safehttp.NewClient(safehttp.Options{AllowPrivate: cfg.Dev, Timeout: 10 * time.Second}),
		Internal:  cfg.PreviewInternal,
		UserAgent: "Ruche (link previews; +" + cfg.BaseURL() + ")",
	}}
	if m.queue, err = jobs.New(m.db.store.Pool(), accounts, push, m.db.store, fed, media, previews, m.Log); err != nil {
		return err
	}
	// Activities and received ones become jobs in the transaction that stores them.
	m.db.store.SetQueue(jobs.Inserter{Client: m.queue})
	// The queue outlives the signal that stops the server: Close stops it in order,
	// after the last request, letting running jobs finish.
	if err := m.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	posts := &ruche.Posts{Store: m.db.store, BaseURL: cfg.BaseURL()}
	m.hub = live.NewHub()
	listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	m.stopListening = stopListening
	go m.listen(listenCtx)
	go m.db.store.RunCache(listenCtx, func(err error) { m.Log.Warn("read cache: listening failed; reading from SQL meanwhile", "err", err) })
	srv, err := server.New(server.Options{
		Accounts: accounts, Posts: posts, Groups: &ruche.Groups{Store: m.db.store, Shares: m.db.store, Sharing: ruche.SharingPolicy(cfg.GroupSharing), Remote: fed}, OAuth: &ruche.OAuth{Store: m.db.store}, Push: push, Hub: m.hub, Catalog: catalog, Files: web.FS, Secure: cfg.Secure(), BaseURL: cfg.BaseURL(),
		Federation: fed, Media: media, TrustedProxies: cfg.TrustedProxies, Ready: m.db.store.Ping, Log: m.Log, Dev: cfg.Dev, PublishCounts: cfg.PublishCounts,
	})
	if err != nil {
		return err
	}
	token, err := accounts.NewSetupLink(ctx)
	if err != nil {
		return err
	}
	if token != "" {
		m.SetupURL = cfg.BaseURL() + "/setup/" + token
		fmt.Fprintf(m.Stdout, "\n  No account exists yet. Create the owner account here (link valid for %d hours; a restart makes a new one):\n\n    %s\n\n",
			int(ruche.SetupTokenTTL.Hours()), m.SetupURL)
	}
	m.http = &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.http.RegisterOnShutdown(m.hub.Close) // live streams end so that shutdown need not wait for them
	m.served = make(chan error, 1)
	go func() {
		var err error
		if cfg.TLSCert != "" {
			err = m.http.ServeTLS(m.ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			err = m.http.Serve(m.ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		m.served <- err
	}()
	m.Log.Info("ruche is ready", "url", cfg.BaseURL(), "listen", m.ln.Addr().String())
	return nil
}

// listen feeds the hub with the changes every node announces through PostgreSQL,
// reconnecting after a failure until ctx ends.
func (m *Main) listen(ctx context.Context) {
	for {
		err := m.db.store.Listen(ctx, m.hub.CatchUp, m.hub.PostChanged, m.hub.NotificationFor)
		if ctx.Err() != nil {
			return
		}
		m.Log.Warn("live updates: listening failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// Addr is the address the server listens on (useful with port 0).
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Served returns a channel that receives the server's error if it stops on its own.
func (m *Main) Served() <-chan error { return m.served }

// Close stops taking requests, lets in-flight ones finish, stops the job queue (letting
// running jobs finish), closes the database and stops the embedded cluster. Each step
// has its own time budget, so a slow one cannot starve the next. Safe on a partly
// opened Main.
func (m *Main) Close(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	within := func(d time.Duration) (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, d) }
	var errs []error
	if m.http != nil {
		c, cancel := within(20 * time.Second)
		if err := m.http.Shutdown(c); err != nil {
			errs = append(errs, err, m.http.Close())
		}
		cancel()
	} else if m.ln != nil {
		m.ln.Close()
	}
	if m.stopListening != nil {
		m.stopListening()
	}
	if m.queue != nil {
		c, cancel := within(15 * time.Second)
		if err := m.queue.Stop(c); err != nil {
			c2, cancel2 := within(5 * time.Second)
			errs = append(errs, m.queue.StopAndCancel(c2))
			cancel2()
		}
		cancel()
	}
	if m.db != nil {
		c, cancel := within(30 * time.Second)
		errs = append(errs, m.db.Close(c))
		cancel()
	}
	if m.lock != nil {
		m.lock.Close()
	}
	return errors.Join(errs...)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("serve", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Stdout: stdout, Log: newLogger(cfg, stderr)}
	if err := m.Open(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		m.Log.Info("shutting down")
	case err = <-m.Served():
		m.Log.Error("server stopped", "err", err)
	}
	return errors.Join(err, m.Close(context.WithoutCancel(ctx)))
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("migrate", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	db, _, err := openForOperator(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	fmt.Fprintln(stdout, "database is up to date")
	return nil
}
