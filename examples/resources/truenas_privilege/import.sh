# A privilege can be imported by its name or by its numeric id (the row id
# shown by "midclt call privilege.query"). Built-in privileges are managed
# this way.
terraform import truenas_privilege.backup_operators "Backup Operators"
terraform import truenas_privilege.readonly_administrator "Read-Only Administrator"
terraform import truenas_privilege.backup_operators 4
