"""The sales ledger: ingestion of sale lines from every origin and the rollups queries read
(FEATURES.md E1, E2, E4)."""
