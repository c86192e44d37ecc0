"""The `safehands` command line: thin commands over engines, services and queries."""
