"""REST API v1 routers: each route parses input, calls one named function, maps the result."""
