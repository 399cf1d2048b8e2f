"""API keys for machine clients (another POS, an integration, a script)."""
