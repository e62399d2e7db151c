# A built-in privilege, by its fixed name.
data "truenas_privilege" "local_administrator" {
  builtin_name = "LOCAL_ADMINISTRATOR"
}

# Any privilege, by name.
data "truenas_privilege" "sharing" {
  name = "Sharing Administrator"
}

output "administrator_gids" {
  value = data.truenas_privilege.local_administrator.local_groups
}

output "sharing_roles" {
  value = data.truenas_privilege.sharing.roles
}
