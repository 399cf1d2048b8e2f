"""The forecasting engine: pure computation over pandas panels (see `types`). It imports
neither the database nor the web framework; the `forecasting` domain feeds it rollups."""
