"""The demo catalogue and households that `portal demo` loads into an empty database."""
