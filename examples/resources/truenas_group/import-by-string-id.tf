# The id is the group name or the numeric row id.
import {
  to = truenas_group.media
  id = "media"
}
