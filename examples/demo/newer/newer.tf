# The part of the demo for CLIs with write-only values and ephemeral
# resources (Terraform 1.11+, OpenTofu 1.11+): scripts/demo.sh adds this file
# to the demo only on such a CLI.

# A user whose password is write-only: sent to the box, never stored in the
# plan or the state. Bump password_wo_version to send a new one.
resource "truenas_user" "wo" {
  username            = "wouser"
  full_name           = "Write-Only Password"
  group_create        = true
  password_wo         = var.wo_password
  password_wo_version = 1
  smb                 = false
}

variable "wo_password" {
  description = "Write-only password of the demo's wouser (a throw-away sandbox value)."
  type        = string
  sensitive   = true
  ephemeral   = true
  default     = "Demo-WO-Passw0rd-2026!"
}

# An API key that lives only for the run: made at each open (plan, apply),
# deleted at each close. A provisioner gets it in its environment; here it
# only writes down the key's id (the part before the dash), never the key,
# so that the demo can check that the key is gone afterwards.
ephemeral "truenas_api_key" "run" {
  username   = "root"
  name       = "demo-run"
  expires_in = "15m"
}

resource "terraform_data" "uses_key" {
  provisioner "local-exec" {
    command = "printf '%s\\n' \"$${TRUENAS_API_KEY%%-*}\" > ephemeral-key-id"
    environment = {
      TRUENAS_API_KEY = ephemeral.truenas_api_key.run.key
    }
  }
}
