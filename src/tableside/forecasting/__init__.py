"""Forecasting: definitions, runs, accuracy and the jobs that train them (FEATURES F1 to F6)."""
