# The API keys of the box (names, owners, dates; never the secrets).
data "truenas_api_keys" "all" {}

# Only the keys of one user.
data "truenas_api_keys" "root" {
  username = "root"
}

output "api_keys" {
  value = { for k in data.truenas_api_keys.all.api_keys : k.name => k.username }
}

output "revoked_root_keys" {
  value = [for k in data.truenas_api_keys.root.api_keys : k.name if k.revoked]
}
