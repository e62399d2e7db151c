# The privileges made on the box, with their resources.
list "truenas_privilege" "custom" {
  provider         = truenas
  include_resource = true
  config {
    builtin = false
  }
}
