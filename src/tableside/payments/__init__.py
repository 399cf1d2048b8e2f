"""Sales, split payments and refunds (D1, D2)."""
