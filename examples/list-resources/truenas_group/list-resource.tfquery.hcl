# The groups made on the box, not the built-in ones.
list "truenas_group" "local" {
  provider = truenas
  config {
    builtin = false
  }
}
