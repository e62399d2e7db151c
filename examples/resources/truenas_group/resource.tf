# A plain group with a fixed gid.
resource "truenas_group" "media" {
  name = "media"
  gid  = 3001
  smb  = false
}

# A group whose members may run two commands as root without a password.
resource "truenas_group" "operators" {
  name                   = "operators"
  smb                    = false
  sudo_commands_nopasswd = ["/usr/bin/systemctl restart nfs-server", "/usr/sbin/zpool status"]
}
