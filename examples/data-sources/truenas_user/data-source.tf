# Read a built-in account by its username (or by uid, or by id).
data "truenas_user" "root" {
  username = "root"
}

# The administrator that the TrueNAS installer creates has uid 950.
data "truenas_user" "truenas_admin" {
  uid = 950
}

output "root_home" {
  value = data.truenas_user.root.home
}

output "truenas_admin_groups" {
  value = data.truenas_user.truenas_admin.groups
}
