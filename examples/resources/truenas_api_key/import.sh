# An API key is imported by its numeric id or its name, by the rule every
# resource of this provider follows: digits only are the id (the row id
# shown by "midclt call api_key.query"), anything else the name; a key whose
# name is digits only is imported by its id. TrueNAS never shows the
# plaintext key again, so key is null after an import until the key is
# rotated (change keepers).
terraform import truenas_api_key.monitoring monitoring
terraform import truenas_api_key.monitoring 3
