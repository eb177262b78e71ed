"""Event tests run against the real kernel, in namespaces they create (tests/conftest.py)."""
