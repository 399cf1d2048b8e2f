"""Database access: engine, sessions, tenant scope, embedded PostgreSQL and the model base."""
