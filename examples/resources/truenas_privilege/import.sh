# A privilege is imported by its numeric id or its name, by the rule every
# resource of this provider follows: digits only are the id (the row id
# shown by "midclt call privilege.query"), anything else the name; a
# privilege whose name is digits only is imported by its id. Built-in
# privileges are managed this way.
terraform import truenas_privilege.backup_operators "Backup Operators"
terraform import truenas_privilege.readonly_administrator "Read-Only Administrator"
terraform import truenas_privilege.backup_operators 4
