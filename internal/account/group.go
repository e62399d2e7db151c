package account

import (
	"slices"
	"strconv"
	"strings"
)

// StaticGroupChecks runs the rules of Rules() with Kind Static on a decoded
// group payload (on an update, only on the keys that were sent).
func StaticGroupChecks(p *GroupPayload) Errors {
	c := &checker{prefix: p.Prefix()}
	staticGroup(c, p, nil)
	return c.result()
}

// CheckGroup runs every group rule, static and box-dependent, as the engine
// does before group.create (old nil) or group.update (old the stored group).
//
// The order is TrueNAS's (plugins/account.py at TS-25.10.6): group.update
// runs __common_validation first (:2109, userns_idmap at :2350 before the
// name, gid and users checks), then refuses an immutable group (:2110) or,
// for the other built-in groups, a change of their fixed fields (:2113).
func CheckGroup(p *GroupPayload, old *GroupEntry, box Box) Errors {
	c := &checker{prefix: p.Prefix()}
	if old != nil && box != nil && p.UsernsIdmap.Set {
		// "'userns_idmap' in data": null counts too (:2350).
		if len(RolesForGIDs(box.Privileges(), []int64{old.GID})) > 0 {
			c.add(RuleGroupIdmapPrivileged)
		}
		if old.Builtin {
			c.add(RuleGroupIdmapBuiltin)
		}
	}
	staticGroup(c, p, old)
	if box != nil {
		boxGroup(c, p, old, box)
	}
	if old != nil && old.Builtin {
		if !AllowedBuiltinGroup(old.Name, old.GID) {
			c.add(RuleGroupImmutable)
		} else if box != nil {
			builtinGroupFields(c, p, old)
		}
	}
	return c.result()
}

// builtinGroupFields refuses a change of the fields a mutable built-in
// group keeps (plugins/account.py:2113-2119).
func builtinGroupFields(c *checker, p *GroupPayload, old *GroupEntry) {
	if p.SudoCommands.Set && !slices.Equal(p.SudoCommands.V, old.SudoCommands) {
		c.field(RuleGroupBuiltinParameter, "sudo_commands")
	}
	if p.SudoCommandsNopasswd.Set && !slices.Equal(p.SudoCommandsNopasswd.V, old.SudoCommandsNopasswd) {
		c.field(RuleGroupBuiltinParameter, "sudo_commands_nopasswd")
	}
	if p.SMB.Set && p.SMB.V != old.SMB {
		c.field(RuleGroupBuiltinParameter, "smb")
	}
	if p.Name.Set && p.Name.V != old.Name {
		c.field(RuleGroupBuiltinParameter, "name")
	}
}

func staticGroup(c *checker, p *GroupPayload, old *GroupEntry) {
	if p.Name.Set {
		pwCheckname(c, RuleGroupNameBegin, RuleGroupNameDollar, RuleGroupNameInvalid, p.Name.V)
		smb, known := p.SMB.V, p.Create || p.SMB.Set
		if !p.SMB.Set && old != nil {
			smb, known = old.SMB, true
		}
		if known && smb && slices.Contains(smbBuiltinNames, strings.ToUpper(p.Name.V)) {
			c.add(RuleGroupNameSMBBuiltin, p.Name.V)
		}
	}
	if p.Users.Set {
		for i, id := range p.Users.V {
			if id >= BaseSyntheticID {
				c.idx(RuleGroupUsersDS, i)
			}
		}
	}
	if p.SudoCommands.Set {
		checkSudo(c, "sudo_commands", p.SudoCommands.V, nil)
	}
	if p.SudoCommandsNopasswd.Set {
		checkSudo(c, "sudo_commands_nopasswd", p.SudoCommandsNopasswd.V, nil)
	}
}

func boxGroup(c *checker, p *GroupPayload, old *GroupEntry, box Box) {
	var selfID int64 = -1
	gid := p.GID.V
	if old != nil {
		selfID, gid = old.ID, old.GID
	}

	if p.Name.Set {
		if g, ok := box.GroupByName(p.Name.V); ok && g.ID != selfID {
			c.add(RuleGroupNameExists, p.Name.V)
		}
		smb := p.SMB.V
		if !p.SMB.Set && old != nil {
			smb = old.SMB
		}
		if smb {
			if g, ok := box.SMBGroupByNameFold(p.Name.V); ok && g.ID != selfID {
				c.add(RuleGroupNameGroupmap, p.Name.V)
			}
		}
	}

	if p.Create && p.GID.Set && !p.GID.Null {
		if g, ok := box.GroupByGID(p.GID.V); ok {
			c.add(RuleGroupGIDUsed, p.GID.V, g.Name)
		}
		if pr, ok := PrivilegeByGID(box, p.GID.V); ok {
			c.add(RuleGroupGIDPrivilege, pr.Name)
		}
	}

	if p.Users.Set {
		var missing []string
		for _, id := range p.Users.V {
			if id >= BaseSyntheticID {
				continue
			}
			if _, ok := box.UserByID(id); !ok {
				missing = append(missing, strconv.FormatInt(id, 10))
			}
		}
		if len(missing) > 0 {
			c.add(RuleGroupUsersMissing, strings.Join(missing, ", "))
		}
		if old != nil {
			var dropped []string
			for _, u := range box.PrimaryUsers(old.ID) {
				if !slices.Contains(p.Users.V, u.ID) {
					dropped = append(dropped, u.Username)
				}
			}
			if len(dropped) > 0 {
				c.add(RuleGroupUsersPrimary, strings.Join(dropped, ", "))
			}
		}
		if root, ok := box.UserByUID(0); ok {
			in := slices.Contains(p.Users.V, root.ID)
			if gid == GIDBuiltinAdministrators {
				if old != nil && !in {
					c.add(RuleGroupUsersRootKeep)
				}
			} else if in && !(old != nil && root.Group.ID == old.ID) {
				c.add(RuleGroupUsersRoot)
			}
		}
	}

	if p.SudoCommands.Set {
		boxSudo(c, "sudo_commands", p.SudoCommands.V, box)
	}
	if p.SudoCommandsNopasswd.Set {
		boxSudo(c, "sudo_commands_nopasswd", p.SudoCommandsNopasswd.V, box)
	}
}

// CheckGroupDelete returns the CallError that refuses group.delete of g,
// or nil: directory-service groups (EPERM), built-in groups and groups a
// privilege uses (EACCES).
func CheckGroupDelete(g *GroupEntry, box Box) *CallError {
	if g.ID >= BaseSyntheticID {
		return CallErrorFor(RuleGroupDSDelete)
	}
	if g.Builtin {
		return CallErrorFor(RuleGroupDeleteBuiltin)
	}
	if box != nil {
		if pr, ok := PrivilegeByGID(box, g.GID); ok {
			return CallErrorFor(RuleGroupDeletePrivilege, pr.Name)
		}
	}
	return nil
}
