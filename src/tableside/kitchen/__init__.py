"""The kitchen display: tickets per station, statuses, statistics (C5)."""
