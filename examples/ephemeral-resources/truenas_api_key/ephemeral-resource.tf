# A key for root that lives only for this run: created when Terraform opens
# the ephemeral resource, deleted when it closes it, never in the state or
# a saved plan.
ephemeral "truenas_api_key" "run" {
  username   = "root"
  name       = "ci-run"
  expires_in = "30m"
}

# A script run by the apply gets the key in its environment (not on its
# command line): here it logs in on the TrueNAS API with it.
resource "terraform_data" "configure" {
  provisioner "local-exec" {
    command = "./scripts/configure-box.sh"
    environment = {
      TRUENAS_API_KEY = ephemeral.truenas_api_key.run.key
    }
  }
}
