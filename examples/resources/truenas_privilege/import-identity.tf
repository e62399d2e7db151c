# With an identity (Terraform 1.12+, OpenTofu 1.12+): the privilege's numeric
# id in the TrueNAS database (`midclt call privilege.query` shows it).
import {
  to       = truenas_privilege.readonly_administrator
  identity = { id = 4 }
}
