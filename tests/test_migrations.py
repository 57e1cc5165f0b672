"""The schema comes from the Alembic migrations, and they produce exactly the models."""
from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from registry import create_app
from registry.extensions import db

POSTGRES_URL = os.environ.get("REGISTRY_TEST_POSTGRES")


@pytest.fixture(params=["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def empty_database_url(request, tmp_path):
    """An empty database: a new SQLite file, or a fresh schema in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield POSTGRES_URL
    # Leave the schema for the next app fixture to rebuild.
    import conftest

    conftest._pg_schema_ready = False


def test_migrations_build_the_models_schema_and_go_back(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={
                "compare_type": True}), db.metadata)
        assert diff == [], diff
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_migrated_database_keeps_the_roll_up_exact(empty_database_url):
    """The triggers that keep checkin_tallies exact come with the migrations (a later batch
    migration that rebuilt the checkins table on SQLite would lose them: this test says so)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                names = set(conn.scalars(text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'checkins'")))
                assert names == {"checkins_tally_insert", "checkins_tally_delete",
                                 "checkins_tally_update"}
            else:
                names = set(conn.scalars(text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'checkins'::regclass "
                    "AND NOT tgisinternal")))
                assert names == {"checkins_tally"}
        downgrade(revision="base")
        db.engine.dispose()
