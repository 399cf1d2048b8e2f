"""Orders and their lines: totals, status flow, numbering (C4)."""
