"""Stacks only compose constructs; every setting comes from an ``EnvironmentConfig``."""
