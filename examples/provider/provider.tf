terraform {
  required_providers {
    truenas = {
      source = "nasops/truenas"
    }
  }
}

# Every argument is optional and falls back to an environment variable:
# TRUENAS_HOST, TRUENAS_PORT, TRUENAS_USER, TRUENAS_PRIVATE_KEY_FILE and
# TRUENAS_KNOWN_HOSTS_FILE. An empty block is enough when they are set.
provider "truenas" {
  host             = "nas.example.com"
  port             = 22
  user             = "terraform"
  private_key_file = pathexpand("~/.ssh/id_ed25519")

  # Check the box's host key against known_hosts (the default is
  # ~/.ssh/known_hosts), or pin it with host_key = "SHA256:...".
  known_hosts_file = pathexpand("~/.ssh/known_hosts")

  # The provider speaks the middleware's JSON-RPC on its socket through the
  # SSH connection: "terraform" needs a TrueNAS privilege with the account
  # roles (ACCOUNT_WRITE...), not sudo. sudo = true only matters where the
  # provider falls back to `midclt call` (runs "sudo -n midclt ...").
  # sudo = true
}
