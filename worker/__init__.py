"""autograde: worker."""
