"""The test suite is a package so that pytest puts the repository root, not `tests/`, on
sys.path: the folders `tests/api/` and `tests/client/` would otherwise be imported as the
packages `api` and `client`."""
