# With an identity (Terraform 1.12+, OpenTofu 1.12+): the API key's numeric
# id in the TrueNAS database (`midclt call api_key.query` shows it).
import {
  to       = truenas_api_key.monitoring
  identity = { id = 3 }
}
