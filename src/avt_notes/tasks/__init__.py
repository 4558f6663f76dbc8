"""Processing on a Celery task queue: the scale-out deployment (set ``AVT_BROKER_URL``).

The job table stays the source of truth (PostgreSQL): the web app queues a row
as before and publishes the row's id to the broker; a worker claims the row
under a per-session PostgreSQL lock and runs the same handlers as the
in-process worker. Without a broker none of this is imported.
"""
