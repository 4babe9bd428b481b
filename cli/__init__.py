"""The `quyhoach` command line."""
