"""The base forecasting methods, one module per family; build them through
`tableside.forecasting.engine.registry.create`, which also knows their stable names."""
