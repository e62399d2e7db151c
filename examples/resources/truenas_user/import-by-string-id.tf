# The id is the username or the numeric row id.
import {
  to = truenas_user.alice
  id = "alice"
}
