package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ruche-hive/ruche/internal/ruche"
)

// runGroup runs the operator's group commands: sharing a group with partner instances.
// They act as the operator console (no member behind them, allowed what an admin is,
// whatever RUCHE_GROUP_SHARING says), on the same database as serve, whether or not
// the server is running.
func runGroup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("group: give a subcommand: share, unshare, shares (see ruche --help)")
	}
	sub := args[0]
	switch sub {
	case "share", "unshare", "shares":
	default:
		return fmt.Errorf("group: unknown subcommand %q", sub)
	}
	var handle, partner string
	cfg, _, err := loadConfig("group "+sub, args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&handle, "group", "", "the group's handle")
		if sub != "shares" {
			fs.StringVar(&partner, "partner", "", "the partner instance's domain (see ruche partner list)")
		}
	})
	if err != nil {
		return err
	}
	handle = strings.TrimPrefix(handle, "@")
	if handle == "" {
		return fmt.Errorf("group %s: --group is required", sub)
	}
	if sub != "shares" && partner == "" {
		return fmt.Errorf("group %s: --partner is required", sub)
	}
	db, _, err := openForOperator(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx))
	groups := &ruche.Groups{Store: db.store, Shares: db.store, Sharing: ruche.SharingPolicy(cfg.GroupSharing)}

	switch sub {
	case "share":
		if err = groups.Share(ctx, nil, handle, partner); err == nil {
			err = printShares(ctx, groups, handle, stdout)
		}
	case "unshare":
		if err = groups.Unshare(ctx, nil, handle, partner); err == nil {
			err = printShares(ctx, groups, handle, stdout)
		}
	case "shares":
		err = printShares(ctx, groups, handle, stdout)
	}
	if err != nil {
		return fmt.Errorf("group %s: %w", sub, operatorError(err))
	}
	return nil
}

// printShares says with whom the group is shared now, so that the operator sees the
// result of a change, not only that it went through.
func printShares(ctx context.Context, groups *ruche.Groups, handle string, stdout io.Writer) error {
	domains, err := groups.SharedWith(ctx, nil, handle)
	if err != nil {
		return err
	}
	if len(domains) == 0 {
		fmt.Fprintf(stdout, "@%s is not shared: it stays on this instance\n", strings.ToLower(handle))
		return nil
	}
	fmt.Fprintf(stdout, "@%s is shared with: %s\n", strings.ToLower(handle), strings.Join(domains, ", "))
	return nil
}
