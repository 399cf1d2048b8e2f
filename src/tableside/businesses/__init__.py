"""The business (tenant) settings and its locations."""
