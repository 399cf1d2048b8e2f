"""HTTP plumbing: request ids and logging, body limits, rate limits, idempotency, metrics."""
