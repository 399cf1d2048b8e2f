"""Users of a business, their roles and kitchen profiles, and invitations."""
