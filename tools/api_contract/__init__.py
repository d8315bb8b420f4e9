"""The service's OpenAPI contract as committed files (``make docs``) and the typed clients made from it."""
