"""autograde: api."""
