# The id is the privilege name or the numeric row id.
import {
  to = truenas_privilege.readonly_administrator
  id = "Read-Only Administrator"
}
