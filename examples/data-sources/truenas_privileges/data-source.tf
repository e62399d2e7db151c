# Every privilege on the box.
data "truenas_privileges" "all" {}

# Only the ones created on this box (not built-in).
data "truenas_privileges" "custom" {
  builtin = false
}

output "privileges" {
  value = { for p in data.truenas_privileges.all.privileges : p.name => p.roles }
}
