"""Shipped role templates (TOML files); see docs/template-format.md."""
