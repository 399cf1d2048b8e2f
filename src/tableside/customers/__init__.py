"""Customer profiles and their order history (C7)."""
