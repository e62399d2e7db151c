# Every user of the box, built-in accounts included.
data "truenas_users" "all" {}

# Only the users that are not built in.
data "truenas_users" "people" {
  builtin = false
}

output "usernames" {
  value = [for u in data.truenas_users.all.users : u.username]
}

output "people" {
  value = { for u in data.truenas_users.people.users : u.username => u.uid }
}
