"""The menu: categories, items, imports and item statistics (B1 to B3)."""
