# With an identity (Terraform 1.12+, OpenTofu 1.12+): the group's numeric
# id in the TrueNAS database (`midclt call group.query` shows it).
import {
  to       = truenas_group.media
  identity = { id = 37 }
}
