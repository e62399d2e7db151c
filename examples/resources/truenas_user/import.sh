# A user is imported by its numeric id or its username, by the rule every
# resource of this provider follows: digits only are the id (the row id
# shown by "midclt call user.query", not the uid), anything else the
# username.
terraform import truenas_user.alice alice
terraform import truenas_user.alice 42
