"""Alembic environment: runs the migrations online against ``sqlalchemy.url``."""

from __future__ import annotations

from alembic import context

from api.db import Base, make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "sqlalchemy.url must be set (api.db.migrate sets it)"
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
