package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/web"
)

// runToken runs `ruche token create`: an operator makes an access token for a member's
// script (a bot, an import) without going through a browser. The token is the only
// thing written to stdout, so that TOKEN=$(ruche token create …) works.
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("token: give a subcommand: create (see ruche --help)")
	}
	var username, scopes, name string
	cfg, _, err := loadConfig("token create", args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "the member the token acts as")
		fs.StringVar(&scopes, "scopes", "read", `space-separated OAuth scopes, e.g. "read write"`)
		fs.StringVar(&name, "name", "script", "the application's name, as the member sees it under Settings")
	})
	if err != nil {
		return err
	}
	if username == "" {
		return errors.New("token create: --username is required")
	}
	// Refuse a bad scope before touching the database: ParseScopes reads "" as "read",
	// but an operator who wrote --scopes "" meant something else.
	if strings.TrimSpace(scopes) == "" {
		return errors.New("token create: --scopes is empty (known scopes: " + strings.Join(ruche.SupportedScopes(), " ") + ")")
	}
	sc, err := ruche.ParseScopes(scopes)
	if err != nil {
		return fmt.Errorf("token create: %w (known scopes: %s)", operatorError(err), strings.Join(ruche.SupportedScopes(), " "))
	}
	db, log, err := openForOperator(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	u, err := db.store.UserByUsername(ctx, strings.ToLower(username))
	if errors.Is(err, ruche.ErrNotFound) {
		return fmt.Errorf("token create: no member @%s", strings.ToLower(username))
	}
	if err != nil {
		return err
	}
	if u.SuspendedAt != nil {
		return fmt.Errorf("token create: @%s is suspended", u.Username)
	}
	oauth := &ruche.OAuth{Store: db.store}
	app, tok, err := oauth.CreatePersonalToken(ctx, u, name, sc)
	if err != nil {
		return fmt.Errorf("token create: %w", operatorError(err))
	}
	log.Info("token created", "member", u.Username, "app", app.ID, "scopes", tok.Scopes.String())
	fmt.Fprintln(stdout, tok.AccessToken)
	return nil
}

// operatorError turns a domain error into its English sentence for the console.
func operatorError(err error) error {
	var e *ruche.Error
	if !errors.As(err, &e) || e.Code == ruche.CodeInternal {
		return err
	}
	catalog, cerr := i18n.Load(web.FS)
	if cerr != nil {
		return err
	}
	return errors.New(catalog.Printer("en", "").T(e.Key, e.Args...))
}
