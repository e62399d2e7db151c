# An API key for a monitoring system. A key has the rights of its user, and
# the user needs a role: here read-only, through the built-in
# truenas_readonly_administrators group.
data "truenas_group" "readonly_admins" {
  name = "truenas_readonly_administrators"
}

resource "truenas_user" "monitoring" {
  username          = "monitoring"
  full_name         = "Monitoring"
  group_create      = true
  groups            = [data.truenas_group.readonly_admins.id]
  password_disabled = true
  smb               = false
}

resource "truenas_api_key" "monitoring" {
  name       = "monitoring"
  username   = truenas_user.monitoring.username
  expires_at = "2027-12-31T23:59:59Z"

  # Any change here resets (rotates) the key in place: bump the value to
  # rotate. The new plaintext key replaces the old one in the state.
  keepers = {
    rotation = "2026-11"
  }
}

# The plaintext key, only known to Terraform at create and at each rotation.
output "monitoring_api_key" {
  value     = truenas_api_key.monitoring.key
  sensitive = true
}
