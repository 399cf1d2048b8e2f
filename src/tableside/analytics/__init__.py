"""Analytics over the ledger and the point of sale: items, trends, staff, customers (E3)."""
