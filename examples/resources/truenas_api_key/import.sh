# An API key can be imported by its name or by its numeric id. TrueNAS never
# shows the plaintext key again, so key is null after an import until the
# key is rotated (change keepers).
terraform import truenas_api_key.monitoring monitoring
terraform import truenas_api_key.monitoring 3
