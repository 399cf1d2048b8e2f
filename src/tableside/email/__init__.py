"""Outgoing email: senders (log or SMTP) and the `email.send` job that delivers through them."""
