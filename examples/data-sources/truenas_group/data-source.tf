# Look a built-in group up by name: its id differs from box to box.
data "truenas_group" "admins" {
  name = "builtin_administrators"
}

# Make an existing user an administrator.
resource "truenas_user" "carol" {
  username          = "carol"
  full_name         = "Carol Example"
  group_create      = true
  groups            = [data.truenas_group.admins.id]
  password_disabled = true
  smb               = false
}

output "admins_gid" {
  value = data.truenas_group.admins.gid
}
