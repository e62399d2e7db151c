package engine

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/nasops/terraform-provider-truenas/internal/account"
	"github.com/nasops/terraform-provider-truenas/internal/box"
)

// Checks before the save. A change is refused before its transaction
// commits when the box would refuse what it brings, so that no saved
// change waits on the box for ever ("the change was saved but the box
// files could not be updated"). Of the apply's effects, the sudoers
// drop-in is the one the box can refuse for what the change holds:
// visudo (checkSudoRules). The others fail for the box's own state, not
// for the change: a foreign line with the name is refused before the
// save by the foreign-line checks (foreign.go); an obstacle in a home
// (a file, a symlink) is found only when the home is written, fails only
// that user, and is retried by every later call until it is gone.

// methodKey carries the name of the method a call runs.
type methodKey struct{}

func withMethod(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, methodKey{}, name)
}

// argName is the name of the call's payload argument as TrueNAS's errors
// have it: "user_create" for user.create.
func argName(ctx context.Context) string {
	name, _ := ctx.Value(methodKey{}).(string)
	if name == "" {
		return "sudo"
	}
	return strings.ReplaceAll(name, ".", "_")
}

// checkSudoRules renders the sudoers drop-in the store holds once t
// commits and checks it as the apply will (sudo's grammar, visudo). When
// the accounts this call changes (touched) are what is refused, the call
// fails with an error naming sudo_commands (or sudo_commands_nopasswd
// when only that list is refused) and nothing is saved. Rules of other
// accounts that the box refuses (stored by an older engine) do not hold
// this call back: the apply leaves them out and reports them, as before.
// The content is checked only when it differs from the drop-in in place
// (or the one last checked), so a change without sudo rules costs one
// indexed read.
func (e *Engine) checkSudoRules(ctx context.Context, t *txn, touched []dirtyName) error {
	users, groups, err := sudoAccounts(ctx, t)
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, d := range touched {
		mine[d.kind+" "+d.name] = true
	}
	isMine := func(kind, name string) bool { return mine[kind+" "+name] }
	err = box.CheckSudoers(e.root, users, groups)
	var se *box.SudoersError
	if err == nil || !errors.As(err, &se) {
		return err
	}
	if len(se.Users)+len(se.Groups) > 0 {
		// Accounts whose rules sudo's grammar cannot hold: this call's
		// own are refused; the others are left out, as the apply does.
		var own []string
		bad := map[string]bool{}
		for _, n := range se.Users {
			bad["u "+n] = true
			if isMine("u", n) {
				own = append(own, n)
			}
		}
		for _, n := range se.Groups {
			bad["g "+n] = true
			if isMine("g", n) {
				own = append(own, "group "+n)
			}
		}
		if len(own) > 0 {
			return sudoRefused(ctx, "sudo_commands", se)
		}
		users = slices.DeleteFunc(users, func(u box.User) bool { return bad["u "+u.Name] })
		groups = slices.DeleteFunc(groups, func(g box.Group) bool { return bad["g "+g.Name] })
		if err = box.CheckSudoers(e.root, users, groups); err == nil || !errors.As(err, &se) {
			return err
		}
	}
	// visudo refuses the drop-in: is it for this call's rules?
	without := func(nopasswdOnly bool) ([]box.User, []box.Group) {
		var us []box.User
		var gs []box.Group
		for _, u := range users {
			if isMine("u", u.Name) {
				if !nopasswdOnly {
					continue
				}
				u.SudoCommandsNopasswd = nil
			}
			us = append(us, u)
		}
		for _, g := range groups {
			if isMine("g", g.Name) {
				if !nopasswdOnly {
					continue
				}
				g.SudoCommandsNopasswd = nil
			}
			gs = append(gs, g)
		}
		return us, gs
	}
	if us, gs := without(false); box.CheckSudoers(e.root, us, gs) != nil {
		return nil // refused without them too: not this call's doing
	}
	if us, gs := without(true); box.CheckSudoers(e.root, us, gs) == nil {
		return sudoRefused(ctx, "sudo_commands_nopasswd", se)
	}
	return sudoRefused(ctx, "sudo_commands", se)
}

func sudoRefused(ctx context.Context, field string, err error) error {
	return account.Errors{{
		Attribute: argName(ctx) + "." + field,
		Message:   "sudo on this box refuses these commands, so nothing was saved: " + err.Error(),
		Errno:     account.EINVAL,
	}}
}
