# The username the TrueNAS web UI suggests for a full name: the first letter
# of the first word and the last word, cut to 8 characters, lower-cased.
output "suggested" {
  value = provider::truenas::suggest_username("Grace Hopper") # "ghopper"
}

resource "truenas_user" "ada" {
  full_name         = "Ada Lovelace"
  username          = provider::truenas::suggest_username("Ada Lovelace") # "alovelac"
  group_create      = true
  password_disabled = true
  smb               = false
}
