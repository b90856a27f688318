"""Alembic environment: the schema is the SQLModel tables in models.tables."""
from alembic import context
from sqlmodel import SQLModel

import models.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from models.db import get_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table and drops the old one, which other tables' foreign keys would
            # refuse (0010's downgrade of conversation); SQLite's own advice is to turn them off meanwhile.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # so that the migrations' transaction is Alembic's own, committed by it
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=sqlite)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # as models.db connects, for the pool's next user


run_migrations()
