"""The audit log of security-relevant and money-moving actions."""
