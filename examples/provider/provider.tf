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

  # A non-root SSH user runs midclt behind "sudo -n" (passwordless sudo).
  sudo = true
}
