# A group can be imported by its name or by its numeric id (the row id shown
# by "midclt call group.query", not the gid).
terraform import truenas_group.media media
terraform import truenas_group.media 37
