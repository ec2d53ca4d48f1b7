package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ruche-hive/ruche/internal/i18n"
	"github.com/ruche-hive/ruche/internal/ruche"
	"github.com/ruche-hive/ruche/web"
)

// runUser runs the operator's account commands, on the same database as serve,
// whether or not the server is running.
func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("user: give a subcommand: create, set-password, suspend, unsuspend, set-role (see ruche --help)")
	}
	sub := args[0]
	var username, email, role, displayName string
	var pwStdin bool
	cfg, _, err := loadConfig("user "+sub, args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&username, "username", "", "the member's username")
		switch sub {
		case "create":
			fs.StringVar(&email, "email", "", "the member's e-mail address")
			fs.StringVar(&displayName, "display-name", "", "the member's full name")
			fs.StringVar(&role, "role", "member", "admin, moderator, member or guest")
		case "set-role":
			fs.StringVar(&role, "role", "", "admin, moderator, member or guest")
		}
		if sub == "create" || sub == "set-password" {
			fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input (for scripts)")
		}
	})
	if err != nil {
		return err
	}
	switch sub {
	case "create", "set-password", "suspend", "unsuspend", "set-role":
	default:
		return fmt.Errorf("user: unknown subcommand %q", sub)
	}
	if username == "" {
		return fmt.Errorf("user %s: --username is required", sub)
	}
	catalog, err := i18n.Load(web.FS)
	if err != nil {
		return err
	}
	p := catalog.Printer("en", "")
	db, log, err := openForOperator(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	accounts := &ruche.Accounts{Store: db.store, Log: log}

	password, generated := "", false
	if sub == "create" || sub == "set-password" {
		if password, generated, err = readPassword(stdin, pwStdin); err != nil {
			return err
		}
	}
	switch sub {
	case "create":
		var u ruche.User
		u, err = accounts.CreateUser(ctx, nil, ruche.NewUser{Username: username, Email: email, DisplayName: displayName,
			Password: password, Role: ruche.Role(role)})
		if err == nil {
			fmt.Fprintf(stdout, "created @%s (%s)\n", u.Username, u.Role)
		}
	case "set-password":
		if err = accounts.SetPassword(ctx, nil, username, password); err == nil {
			fmt.Fprintf(stdout, "password of @%s changed\n", strings.ToLower(username))
		}
	case "suspend", "unsuspend":
		if err = accounts.SetSuspended(ctx, nil, username, sub == "suspend"); err == nil {
			fmt.Fprintf(stdout, "@%s %sed\n", strings.ToLower(username), sub)
		}
	case "set-role":
		if err = accounts.SetRole(ctx, nil, username, ruche.Role(role)); err == nil {
			fmt.Fprintf(stdout, "@%s is now %s\n", strings.ToLower(username), role)
		}
	}
	if err != nil {
		var e *ruche.Error
		if errors.As(err, &e) && e.Code != ruche.CodeInternal {
			if e.Code == ruche.CodeNotFound && e.Key == "error.not_found" {
				return fmt.Errorf("user %s: no member @%s", sub, strings.ToLower(username))
			}
			return fmt.Errorf("user %s: %s", sub, p.T(e.Key, e.Args...))
		}
		return err
	}
	if generated {
		fmt.Fprintf(stdout, "password: %s\n(shown once; the member can change it under Settings)\n", password)
	}
	return nil
}

// readPassword reads one line from stdin with --password-stdin, or makes up a strong
// password to print.
func readPassword(stdin io.Reader, fromStdin bool) (string, bool, error) {
	if !fromStdin {
		return rand.Text(), true, nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("--password-stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", false, errors.New("--password-stdin: standard input is empty")
	}
	return line, false, nil
}
