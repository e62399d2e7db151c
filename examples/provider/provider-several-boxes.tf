# Several boxes: one provider block per box, told apart by an alias, and a
# pinned host key for each.
provider "truenas" {
  alias    = "nas1"
  host     = "nas1.example.com"
  user     = "terraform"
  sudo     = true
  host_key = "SHA256:IuhPdMt93zoTZNX1jFNr0V422yQM3x/TmJQaf9qteGI"
}

provider "truenas" {
  alias    = "nas2"
  host     = "nas2.example.com"
  user     = "terraform"
  sudo     = true
  host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICtAxnd6vxG58DtgoBwC8oMl0WW5LZS2P/dYaI5GVKNc"
}

resource "truenas_group" "backup_nas1" {
  provider = truenas.nas1
  name     = "backup"
  smb      = false
}

resource "truenas_group" "backup_nas2" {
  provider = truenas.nas2
  name     = "backup"
  smb      = false
}
