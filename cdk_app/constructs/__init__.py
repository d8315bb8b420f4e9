"""Reusable constructs: each one file, keyword-only typed props, public attributes for what it creates."""
