"""Named steps of the service, each a function over a database session: routes and Celery
tasks call exactly one of them."""
