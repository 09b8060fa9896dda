"""The read-only web viewer of incidents."""
