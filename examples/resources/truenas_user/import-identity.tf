# With an identity (Terraform 1.12+, OpenTofu 1.12+): the user's numeric
# id in the TrueNAS database (`midclt call user.query` shows it).
import {
  to       = truenas_user.alice
  identity = { id = 42 }
}
