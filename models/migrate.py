"""Schema upgrades by Alembic, and the first-run seeding of the region's areas."""
from pathlib import Path

from alembic import command
from alembic.config import Config

from models.areas import seed_areas
from models.db import get_engine, session_scope
from models.statistics import seed_statistics

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str) -> int:
    """Bring the schema up to date and seed the shipped areas into an empty table.

    Returns the number of areas seeded (0 when they were there already).
    """
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), "heads")
    with session_scope(get_engine(database_url)) as session:
        seeded = seed_areas(session)
        seed_statistics(session)  # the shipped East Midlands figures, into an empty store
        return seeded
