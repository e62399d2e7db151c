# A group is imported by its numeric id or its name, by the rule every
# resource of this provider follows: digits only are the id (the row id
# shown by "midclt call group.query", not the gid), anything else the name;
# a group whose name is digits only is imported by its id.
terraform import truenas_group.media media
terraform import truenas_group.media 37
