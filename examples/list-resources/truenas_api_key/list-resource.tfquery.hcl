# The API keys of root (metadata only: key is null).
list "truenas_api_key" "root" {
  provider = truenas
  config {
    username = "root"
  }
}
