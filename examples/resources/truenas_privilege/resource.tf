# Backup operators: members may read everything the web UI and the API
# show, and change nothing.
resource "truenas_group" "backup_operators" {
  name = "backup_operators"
  smb  = false
}

resource "truenas_privilege" "backup_operators" {
  name         = "Backup Operators"
  local_groups = [truenas_group.backup_operators.gid]
  roles        = ["READONLY_ADMIN"]
}

# A user in the group gets the role, and with it may own API keys.
resource "truenas_user" "backup" {
  username          = "backup-bot"
  full_name         = "Backup automation"
  group_create      = true
  groups            = [truenas_group.backup_operators.id]
  password_disabled = true
  smb               = false
}

resource "truenas_api_key" "backup" {
  name     = "backup-automation"
  username = truenas_user.backup.username
  # api_key.create needs the user to hold a role: create the key once the
  # privilege grants it.
  depends_on = [truenas_privilege.backup_operators]
}

# Finer roles: replication and snapshots, with the web shell.
resource "truenas_privilege" "replication" {
  name         = "Replication"
  local_groups = [truenas_group.backup_operators.gid]
  roles        = ["REPLICATION_ADMIN", "SNAPSHOT_READ"]
  web_shell    = true
}

# A built-in privilege is managed by importing it: its name and roles stay
# as TrueNAS has them, its groups can change.
import {
  to = truenas_privilege.readonly_administrator
  id = "Read-Only Administrator"
}

resource "truenas_group" "auditors" {
  name = "auditors"
  smb  = false
}

resource "truenas_privilege" "readonly_administrator" {
  name         = "Read-Only Administrator"
  local_groups = [951, truenas_group.auditors.gid] # 951: truenas_readonly_administrators
  roles        = ["READONLY_ADMIN"]
}
