// Command ruche is Ruche's one binary: the server and its operator commands.
// main stays thin: it parses the command line and hands over to Run, so that tests
// boot the same code on port 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ruche-hive/ruche/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	var exit exitCode
	switch {
	case err == nil:
	case errors.As(err, &exit):
		os.Exit(int(exit))
	case errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "ruche:", err)
		os.Exit(1)
	}
}

// exitCode is a command's exit status passed through Run (dev with-postgres).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `ruche — a private micro-blogging server for companies

Usage:
  ruche serve [settings]                   run the server (and, with no DATABASE_URL, its own PostgreSQL)
  ruche migrate [settings]                 apply database migrations and exit
  ruche user create --username U --email E [--role admin|moderator|member|guest] [--display-name N] [--password-stdin]
  ruche user set-password --username U [--password-stdin]
  ruche user suspend --username U          suspend a member; every session ends at once
  ruche user unsuspend --username U
  ruche user set-role --username U --role R
  ruche token create --username U [--scopes "read write"] [--name N]
                                           make an access token for a member's script; prints only the token
  ruche partner add DOMAIN [--note TEXT]   federate with the instance at DOMAIN (e.g. partner.example.com)
  ruche partner suspend|activate DOMAIN    stop, then resume, talking to a partner
  ruche partner remove DOMAIN              end federation with a partner
  ruche partner list                       list the partners (none: this instance does not federate)
  ruche group share --group G --partner D  share group G with partner instance D (open and closed groups only)
  ruche group unshare --group G --partner D
                                           stop sharing group G with D
  ruche group shares --group G             list the partner instances group G is shared with
  ruche federation announce                send every active partner an Update of the instance actor (checks delivery)
  ruche federation rotate-key              give the instance actor a new key pair and tell the partners
  ruche federation reseal                  seal every private key under the current RUCHE_SECRET_KEY (after a rotation)
  ruche federation failed                  list the deliveries that failed or are being retried
  ruche dev with-postgres -- CMD [ARGS]    run CMD with DATABASE_URL set to a throwaway cluster (used by make test)
  ruche dev seed --users N --posts M       fill an empty database with a realistic hive (password "ruche-seed-password")
  ruche dev bench [--requests N]           measure the home and company streams for random members

Without --password-stdin, user create and set-password generate a password and print it.
Every command reads the same settings as serve; flags win over the environment.

`

// Run runs the command in args (without the program name).
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		config.Help(stdout)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, rest, getenv, stdin, stdout, stderr)
	case "token":
		return runToken(ctx, rest, getenv, stdout, stderr)
	case "partner":
		return runPartner(ctx, rest, getenv, stdout, stderr)
	case "group":
		return runGroup(ctx, rest, getenv, stdout, stderr)
	case "federation":
		return runFederation(ctx, rest, getenv, stdout, stderr)
	case "dev":
		return runDev(ctx, rest, getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q (see ruche --help)", cmd)
}

// loadConfig parses the settings flags (plus any extra flags that define adds) and the
// environment.
func loadConfig(name string, args []string, getenv func(string) string, stderr io.Writer, define func(*flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	fs := config.FlagSet(name, stderr)
	if define != nil {
		define(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ruche %s [flags]\n\nFlags:\n", name)
		fs.PrintDefaults()
		fmt.Fprintln(stderr)
		config.Help(stderr)
	}
	if err := fs.Parse(args); err != nil {
		return config.Config{}, nil, err
	}
	if fs.NArg() > 0 {
		return config.Config{}, nil, fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0))
	}
	cfg, err := config.Load(getenv, fs)
	if err != nil {
		return config.Config{}, nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, fs, nil
}
