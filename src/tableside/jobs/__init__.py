"""Background jobs: procrastinate underneath, `jobs` rows users can follow, and the /jobs API.

Other domains use three things:

- `tableside.jobs.registry.job_handler("kind")` to declare a handler in their `tasks.py`;
- `tableside.jobs.service.enqueue_job(session, ...)` to start one inside their transaction;
- `tableside.jobs.schemas.accepted(job)` to answer `202` with the job's status URL.
"""
