package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// runPartner runs the operator's partner commands: which instances this one federates
// with. They act as the operator console (no member behind them), on the same database
// as serve, whether or not the server is running.
func runPartner(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("partner: give a subcommand: add, remove, list, suspend, activate (see ruche --help)")
	}
	sub, rest := args[0], args[1:]
	name, domain := "partner "+sub, ""
	switch sub {
	case "list":
	case "add", "remove", "suspend", "activate":
		// The domain comes first, before any flag: the flag package stops at the first
		// argument that is not a flag, and the settings flags follow it.
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") && !isHelp(rest[0]) {
			return fmt.Errorf("partner %s: give the partner's domain first: ruche partner %s DOMAIN", sub, sub)
		}
		if !isHelp(rest[0]) {
			domain, rest = rest[0], rest[1:]
		}
		name += " DOMAIN"
	default:
		return fmt.Errorf("partner: unknown subcommand %q", sub)
	}
	var note string
	cfg, _, err := loadConfig(name, rest, getenv, stderr, func(fs *flag.FlagSet) {
		if sub == "add" {
			fs.StringVar(&note, "note", "", "for the other admins: who runs it, why you federate")
		}
	})
	if err != nil {
		return err
	}
	db, log, err := openForOperator(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	// Managing partners needs no keys, so no secret: only the store and the instance's
	// own address (to refuse it as its own partner).
	fed := &ruche.Federation{Store: db.store, BaseURL: cfg.BaseURL(), Log: log}

	var p ruche.Partner
	switch sub {
	case "list":
		return listPartners(ctx, fed, stdout)
	case "add":
		if p, err = fed.AddPartner(ctx, nil, domain, note); err == nil {
			fmt.Fprintf(stdout, "%s is a partner (%s)\n", p.Domain, p.State)
		}
	case "suspend", "activate":
		state := ruche.PartnerActive
		if sub == "suspend" {
			state = ruche.PartnerSuspended
		}
		if p, err = fed.SetPartnerState(ctx, nil, domain, state); err == nil {
			fmt.Fprintf(stdout, "%s is %s\n", p.Domain, p.State)
		}
	case "remove":
		if err = fed.RemovePartner(ctx, nil, domain); err == nil {
			fmt.Fprintf(stdout, "%s is no longer a partner\n", ruche.NormalizeDomain(domain))
		}
	}
	if err != nil {
		var e *ruche.Error
		if errors.As(err, &e) && e.Code == ruche.CodeNotFound {
			return fmt.Errorf("partner %s: %s is not a partner (see ruche partner list)", sub, ruche.NormalizeDomain(domain))
		}
		return fmt.Errorf("partner %s: %w", sub, operatorError(err))
	}
	return nil
}

// listPartners prints the partners as a table, or says that federation is off.
func listPartners(ctx context.Context, fed *ruche.Federation, stdout io.Writer) error {
	partners, err := fed.Partners(ctx, nil)
	if err != nil {
		return err
	}
	if len(partners) == 0 {
		fmt.Fprintln(stdout, "no partners: this instance does not federate (add one with: ruche partner add DOMAIN)")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DOMAIN\tSTATE\tADDED\tNOTE")
	for _, p := range partners {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Domain, p.State, p.CreatedAt.UTC().Format("2006-01-02"), oneLine(p.Note))
	}
	return tw.Flush()
}

// oneLine keeps a note on its row of the table.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }
