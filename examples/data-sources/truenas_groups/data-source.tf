# The built-in groups of the box.
data "truenas_groups" "builtin" {
  builtin = true
}

output "builtin_group_names" {
  value = [for g in data.truenas_groups.builtin.groups : g.name]
}
