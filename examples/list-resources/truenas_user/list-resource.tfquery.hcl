# The local users that did not come with the box, each with the
# configuration an import of it needs (terraform query -generate-config-out).
list "truenas_user" "local" {
  provider         = truenas
  include_resource = true
  config {
    builtin = false
  }
}
