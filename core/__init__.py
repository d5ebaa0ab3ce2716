"""autograde: core."""
