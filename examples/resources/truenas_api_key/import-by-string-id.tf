# The id is the key's name or its numeric id.
import {
  to = truenas_api_key.monitoring
  id = "monitoring"
}
