# An administrator: a member of builtin_administrators (looked up by name,
# since its id differs from box to box) with passwordless sudo.
data "truenas_group" "admins" {
  name = "builtin_administrators"
}

resource "truenas_user" "ops" {
  username          = "ops"
  full_name         = "Operations"
  group_create      = true
  groups            = [data.truenas_group.admins.id]
  password_disabled = true
  smb               = false

  home                   = "/mnt/tank/home"
  home_create            = true
  sshpubkey              = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGySnW4iL7lM7maMJEDTYI0kpAoLggXI0h9BzwkXj+Zl alice@laptop"
  sudo_commands_nopasswd = ["ALL"]
}
