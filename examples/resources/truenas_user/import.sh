# A user can be imported by its username or by its numeric id (the row id
# shown by "midclt call user.query", not the uid).
terraform import truenas_user.alice alice
terraform import truenas_user.alice 42
