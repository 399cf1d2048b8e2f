"""Authentication and authorization: passwords, tokens, API keys and the permission matrix."""
