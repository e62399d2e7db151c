# A group for the team, and a user whose home is created under a pool.
resource "truenas_group" "developers" {
  name = "developers"
  smb  = false
}

resource "truenas_user" "alice" {
  username  = "alice"
  full_name = "Alice Example"
  email     = "alice@example.com"

  # Primary group: an existing group's id (or group_create = true for a
  # group named after the user).
  group = truenas_group.developers.id

  # With home_create, home is the parent: the home becomes /mnt/tank/home/alice.
  home        = "/mnt/tank/home"
  home_create = true
  home_mode   = "700"
  shell       = "/usr/bin/bash"

  # Key-only login: no password, so SMB (which needs one) is off.
  password_disabled = true
  smb               = false
  sshpubkey         = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGySnW4iL7lM7maMJEDTYI0kpAoLggXI0h9BzwkXj+Zl alice@laptop"
}

# Where the home really is: /mnt/tank/home/alice (home keeps the parent).
output "alice_home" {
  value = truenas_user.alice.home_directory
}
