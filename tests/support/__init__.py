"""Test harness: one module per real dependency the suite starts."""
