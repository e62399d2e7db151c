# The demo that `make demo` applies to a sandbox box (scripts/demo.sh).
# The provider takes its connection from the TRUENAS_* variables that the
# sandbox writes to sandbox.env, so its block is empty.
terraform {
  required_providers {
    truenas = {
      source = "nasops/truenas"
    }
  }
}

provider "truenas" {}

variable "admin_password" {
  description = "Password of the demo administrator (a throw-away sandbox value)."
  type        = string
  sensitive   = true
  default     = "Demo-Passw0rd-2026!"
}

# --- Built-in accounts, read from the box ----------------------------------

data "truenas_user" "root" {
  username = "root"
}

data "truenas_group" "builtin_administrators" {
  name = "builtin_administrators"
}

# --- A team: a group and a user with a home under the pool ----------------

resource "truenas_group" "developers" {
  name = "developers"
  smb  = false
}

resource "truenas_user" "grace" {
  full_name = "Grace Hopper"
  username  = provider::truenas::suggest_username("Grace Hopper") # "ghopper"
  group     = truenas_group.developers.id

  # The home is created as /mnt/tank/ghopper.
  home        = "/mnt/tank"
  home_create = true
  shell       = "/usr/bin/bash"

  password_disabled = true
  smb               = false
  sshpubkey         = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAL5YqQI/Tu3kT6IhpUOt2SU00YInJXmD1IuBFUFZF/i grace@demo"
}

# --- An administrator with an API key --------------------------------------

resource "truenas_user" "opsadmin" {
  username     = "opsadmin"
  full_name    = "Demo Administrator"
  group_create = true
  groups       = [data.truenas_group.builtin_administrators.id]
  password     = var.admin_password
  smb          = false

  # What the README recommends for the account Terraform connects as: the
  # rule is checked against the box, and the sandbox has TrueNAS's paths.
  sudo_commands_nopasswd = ["/usr/bin/midclt", "/usr/sbin/zfs list"]
}

resource "truenas_api_key" "opsadmin" {
  name     = "demo-automation"
  username = truenas_user.opsadmin.username
}

# --- Backup operators: a privilege with a read-only role -------------------

# Members of the group get READONLY_ADMIN through the privilege: they can read
# everything the web UI and the API show, change nothing, and own API keys.
resource "truenas_group" "backup_operators" {
  name = "backup_operators"
  smb  = false
}

resource "truenas_privilege" "backup_operators" {
  name         = "Backup Operators"
  local_groups = [truenas_group.backup_operators.gid]
  roles        = ["READONLY_ADMIN"]
}

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
  # The key needs the user to hold a role: create it once the privilege
  # grants one.
  depends_on = [truenas_privilege.backup_operators]
}

# The built-in privileges, read from the box.
data "truenas_privilege" "local_administrator" {
  builtin_name = "LOCAL_ADMINISTRATOR"
}

# The user's roles as the box reports them, read after the privilege.
data "truenas_user" "backup" {
  username   = truenas_user.backup.username
  depends_on = [truenas_privilege.backup_operators]
}

# --- Lists --------------------------------------------------------------------

# The built-in accounts do not change with this configuration.
data "truenas_users" "builtin" {
  builtin = true
}

data "truenas_groups" "builtin" {
  builtin = true
}

# Lists that include what this configuration creates are read after it
# (depends_on), so the outputs built from them are stable on the next plan.
data "truenas_users" "managed" {
  builtin    = false
  depends_on = [truenas_user.grace, truenas_user.opsadmin, truenas_user.backup]
}

data "truenas_privileges" "all" {
  depends_on = [truenas_privilege.backup_operators]
}

data "truenas_api_keys" "opsadmin" {
  username   = truenas_user.opsadmin.username
  depends_on = [truenas_api_key.opsadmin]
}

# --- Outputs -----------------------------------------------------------------

output "root" {
  value = {
    uid   = data.truenas_user.root.uid
    home  = data.truenas_user.root.home
    shell = data.truenas_user.root.shell
  }
}

output "builtin_administrators_gid" {
  value = data.truenas_group.builtin_administrators.gid
}

output "grace" {
  value = {
    id       = truenas_user.grace.id
    uid      = truenas_user.grace.uid
    username = truenas_user.grace.username
    home     = truenas_user.grace.home
  }
}

output "developers_gid" {
  value = truenas_group.developers.gid
}

output "opsadmin_uid" {
  value = truenas_user.opsadmin.uid
}

output "api_key_id" {
  value = truenas_api_key.opsadmin.id
}

output "api_key" {
  value     = truenas_api_key.opsadmin.key
  sensitive = true
}

output "builtin_user_count" {
  value = length(data.truenas_users.builtin.users)
}

output "builtin_group_count" {
  value = length(data.truenas_groups.builtin.groups)
}

output "managed_users" {
  value = { for u in data.truenas_users.managed.users : u.username => u.uid }
}

output "opsadmin_api_keys" {
  value = [for k in data.truenas_api_keys.opsadmin.api_keys : k.name]
}

output "backup_operators" {
  value = {
    privilege_id = truenas_privilege.backup_operators.id
    group_gid    = truenas_group.backup_operators.gid
    user_roles   = data.truenas_user.backup.roles
    api_key_id   = truenas_api_key.backup.id
  }
}

output "local_administrator_gids" {
  value = data.truenas_privilege.local_administrator.local_groups
}

output "privileges" {
  value = { for p in data.truenas_privileges.all.privileges : p.name => p.roles }
}
