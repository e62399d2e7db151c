# A user with a password that never enters the plan or the state
# (write-only argument: Terraform or OpenTofu 1.11 and later). Bump
# password_wo_version to send a new password.
variable "bob_password" {
  type      = string
  sensitive = true
}

resource "truenas_user" "bob" {
  username     = "bob"
  full_name    = "Bob Example"
  group_create = true
  smb          = true

  password_wo         = var.bob_password
  password_wo_version = 1
}
