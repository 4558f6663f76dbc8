"""Alembic environment: always run programmatically with a live connection.

`store.db.migrate` passes the connection in `config.attributes`; there is no
alembic.ini and no URL here, so the app and the tests migrate the same way.
"""

from __future__ import annotations

from alembic import context

from avt_notes.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through avt_notes.store.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
