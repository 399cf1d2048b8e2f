"""Dining-room tables: sections, capacity, status, seating (C1)."""
