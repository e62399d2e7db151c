# Moving the local accounts of a TrueNAS CORE 13.3 box to a TrueNAS SCALE
# box: data sources read the CORE box (provider alias "core"), resources
# write the SCALE box (alias "scale"). Run it once to copy; keep it to
# manage the accounts on SCALE from then on.

variable "core_host" { type = string }
variable "core_port" {
  type    = number
  default = 22
}
variable "core_private_key_file" { type = string }
variable "core_known_hosts_file" {
  type    = string
  default = "~/.ssh/known_hosts"
}
variable "scale_host" { type = string }
variable "scale_port" {
  type    = number
  default = 22
}
variable "scale_private_key_file" { type = string }
variable "scale_known_hosts_file" {
  type    = string
  default = "~/.ssh/known_hosts"
}

# CORE keeps only password hashes, which SCALE's API cannot take: give the
# users that log in with a password a new one here (username => password).
# The others get password_disabled and no SMB.
variable "passwords" {
  type      = map(string)
  default   = {}
  sensitive = true
}

provider "truenas" {
  alias            = "core"
  host             = var.core_host
  port             = var.core_port
  private_key_file = var.core_private_key_file
  known_hosts_file = var.core_known_hosts_file
}

provider "truenas" {
  alias            = "scale"
  host             = var.scale_host
  port             = var.scale_port
  private_key_file = var.scale_private_key_file
  known_hosts_file = var.scale_known_hosts_file
}

# Only what an administrator made: the images' own accounts stay.
data "truenas_users" "core" {
  provider = truenas.core
  builtin  = false
  local    = true
}

data "truenas_groups" "core" {
  provider = truenas.core
  builtin  = false
  local    = true
}

locals {
  groups = { for g in data.truenas_groups.core.groups : g.name => g }
  users  = { for u in data.truenas_users.core.users : u.username => u }
  # CORE's group ids, to find a user's auxiliary groups by name.
  group_names = { for g in data.truenas_groups.core.groups : g.id => g.name }
  # FreeBSD's shells and their SCALE (Debian) paths; any other gets bash.
  shells = {
    "/bin/sh"             = "/usr/bin/sh"
    "/usr/local/bin/bash" = "/usr/bin/bash"
    "/usr/local/bin/zsh"  = "/usr/bin/zsh"
    "/usr/sbin/nologin"   = "/usr/sbin/nologin"
  }
}

resource "truenas_group" "moved" {
  provider               = truenas.scale
  for_each               = local.groups
  name                   = each.key
  gid                    = each.value.gid
  smb                    = each.value.smb
  sudo_commands          = each.value.sudo_commands
  sudo_commands_nopasswd = each.value.sudo_commands_nopasswd
}

resource "truenas_user" "moved" {
  provider  = truenas.scale
  for_each  = local.users
  username  = each.key
  uid       = each.value.uid
  full_name = each.value.full_name
  email     = each.value.email
  # The primary group: the moved group of that name, else one named after
  # the user.
  group        = try(truenas_group.moved[each.value.group_name].id, null)
  group_create = !contains(keys(local.groups), each.value.group_name)
  groups = [for id in each.value.groups : truenas_group.moved[local.group_names[tostring(id)]].id
  if contains(keys(local.group_names), tostring(id))]
  # A CORE home <dataset>/<username> becomes the same path on SCALE, made
  # there (the dataset must exist on SCALE: replicate it first); any other
  # home, /nonexistent included, becomes SCALE's "no home".
  home        = endswith(each.value.home, "/${each.key}") ? trimsuffix(each.value.home, "/${each.key}") : "/var/empty"
  home_create = endswith(each.value.home, "/${each.key}")
  sshpubkey   = endswith(each.value.home, "/${each.key}") ? each.value.sshpubkey : null
  shell       = lookup(local.shells, each.value.shell, "/usr/bin/bash")
  locked      = each.value.locked
  # CORE's sudo fields read as SCALE's two lists.
  sudo_commands          = each.value.sudo_commands
  sudo_commands_nopasswd = each.value.sudo_commands_nopasswd
  password               = lookup(var.passwords, each.key, null)
  password_disabled      = !contains(keys(var.passwords), each.key)
  smb                    = contains(keys(var.passwords), each.key) ? each.value.smb : false
}

output "moved_users" {
  value = { for k, u in truenas_user.moved : k => u.uid }
}
