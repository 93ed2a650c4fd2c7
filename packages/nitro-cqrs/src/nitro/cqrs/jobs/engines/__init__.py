"""The job engines on real queues: Celery, Dramatiq and RQ, each on Redis."""
