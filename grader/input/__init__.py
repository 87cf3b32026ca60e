"""Reading what students handed in: submission folders, class folders and zips, platform metadata, the course file."""
