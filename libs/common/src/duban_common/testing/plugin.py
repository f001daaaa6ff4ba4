"""pytest plugin shared by every package's tests (enabled in the root pytest config).

Fixtures:
- `kafka_bootstrap` (session): one real embedded broker per test session, stopped at the end
  even when tests fail (and killed by the kernel if the session itself dies).
- `postgres_server_url` (session): a fresh PostgreSQL database per run, dropped afterwards.
- `sqlite_url`: a fresh SQLite file per test.
- `db_url`: parametrized over both stores, so storage tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from duban_common.embedded_broker import EmbeddedBroker

if TYPE_CHECKING:
    import psycopg

PG_ADMIN_URL = os.environ.get(
    "DUBAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def embedded_broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as broker:
        yield broker


@pytest.fixture(scope="session")
def kafka_bootstrap(embedded_broker: EmbeddedBroker) -> str:
    return embedded_broker.bootstrap_servers


def _pg_admin() -> psycopg.Connection[tuple[Any, ...]]:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """Base URL of a fresh, empty PostgreSQL database for this session."""
    from sqlalchemy.engine import make_url

    name = f"duban_test_{uuid.uuid4().hex[:12]}"
    try:
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        pytest.fail(f"PostgreSQL is required for these tests ({PG_ADMIN_URL}): {exc}")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A clean schema for one test: every table in `public` is dropped afterwards."""
    yield postgres_database
    import psycopg

    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def unique_group() -> str:
    """A consumer group id of its own, so tests never share committed offsets."""
    return f"test-{uuid.uuid4().hex[:10]}"
