"""Async database engines for the embedded (SQLite) and production (PostgreSQL) stores."""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiosqlite
from psycopg.rows import namedtuple_row
from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.expression import Executable


def async_url(url: str) -> str:
    """Map plain URLs to the async drivers Duban uses (aiosqlite, psycopg 3)."""
    u = make_url(url)
    if u.drivername in ("sqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    u = make_url(async_url(url))
    if u.drivername == "sqlite+aiosqlite":
        u = u.set(drivername="sqlite")
    return u.render_as_string(hide_password=False)


def is_postgres(engine_or_url: AsyncEngine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return make_url(url).get_backend_name() == "postgresql"


SQLITE_BUSY_TIMEOUT_SECONDS = 30


def make_engine(url: str, *, sqlite_on_loop: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine; `sqlite_on_loop` (SQLite only): statements run on the event loop's
    thread (see `_LoopThreadSqlite`), for a writer connection of short statements."""
    url = async_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        if sqlite_on_loop:
            kwargs["async_creator"] = _loop_thread_sqlite(u)
        else:
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets readers run beside the single writer; NORMAL is durable in WAL mode.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


class _LoopThreadSqlite(aiosqlite.Connection):
    """aiosqlite's connection, its calls run on the calling (event loop) thread.

    aiosqlite hands every call to a worker thread and wakes the loop for the result: on the
    ledger's write path (ten short statements a request) the hops cost a third of the CPU and
    GIL hand-offs between the threads. A statement on a local WAL database takes microseconds,
    less than the hop. The price: a statement blocks the loop while it runs, and a write that
    waits for another process's write lock blocks it up to the busy timeout; so only the
    single writer connection of a one-process store uses this, reads keep the worker thread.
    Relies on aiosqlite routing every call through `_execute` (aiosqlite is pinned).
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> _LoopThreadSqlite:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:  # no worker thread to start
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _loop_thread_sqlite(url: Any) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    args, params = url.get_dialect()().create_connect_args(url)
    params.update(timeout=SQLITE_BUSY_TIMEOUT_SECONDS, check_same_thread=False)

    async def connect() -> aiosqlite.Connection:
        connection: aiosqlite.Connection = await _LoopThreadSqlite(
            lambda: sqlite3.connect(*args, **params), 64
        )
        return connection

    return connect


# pool_pre_ping pings on every checkout: a round trip and ~200 µs of CPU per transaction.
# A connection returned a moment ago is alive; only one idle for longer is pinged first.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # the pool replaces the connection and tries again
            raise DisconnectionError("idle connection failed its ping") from error


class DriverStatement:
    """A prebuilt Core statement that runs on the driver's own cursor on PostgreSQL.

    SQLAlchemy's per-execute work (execution context, result wrapping, a greenlet hop) costs
    about 140 µs of CPU per statement with psycopg: more than the driver itself, and a write
    request runs ten statements. The statement is compiled once per set of parameter names,
    with SQLAlchemy's own bind processors (JSON) applied. Other stores execute it through
    SQLAlchemy unchanged. Errors come out as SQLAlchemy's DBAPIError family, as before.
    Insert statements are given `.inline()`: no RETURNING of generated keys.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, ...], _Compiled] = {}

    async def execute(
        self, conn: AsyncConnection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] = {}
    ) -> list[Any] | None:
        """Run with one parameter set (rows of a SELECT, as named tuples) or many (None)."""
        rows: Sequence[Mapping[str, Any]] = [params] if isinstance(params, Mapping) else params
        if not rows:
            return None
        if conn.dialect.name != "postgresql":
            result = await conn.execute(self.statement, rows[0] if len(rows) == 1 else list(rows))
            return list(result.all()) if result.returns_rows else None
        compiled = self._compile(conn.dialect, tuple(rows[0]))
        driver: Any = conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        try:
            if len(rows) > 1:  # psycopg's executemany sets up a pipeline: dearer for one row
                async with driver.cursor() as cur:
                    await cur.executemany(compiled.sql, [compiled.bind(p) for p in rows])
                return None
            async with driver.cursor(row_factory=namedtuple_row) as cur:
                await cur.execute(compiled.sql, compiled.bind(rows[0]))
                return list(await cur.fetchall()) if cur.description else None
        except conn.dialect.loaded_dbapi.Error as error:
            lost = conn.dialect.is_disconnect(error, driver, None)
            if lost:  # as SQLAlchemy does: the pool must not hand this connection out again
                await conn.invalidate()
            raise DBAPIError.instance(
                compiled.sql,
                None,
                error,
                conn.dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=conn.dialect,
            ) from error

    def _compile(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        found = self._compiled.get(keys)
        if found is None:
            found = self._compiled[keys] = _Compiled(self.statement, dialect, keys)
        return found


class _Compiled:
    def __init__(self, statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> None:
        self.compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
        self.sql = str(self.compiled)
        self.processors = {
            name: proc
            for name, bind in self.compiled.binds.items()
            if (proc := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        # Binds the statement carries itself (a LIMIT, a literal) need construct_params.
        self.own_binds = bool(set(self.compiled.binds) - set(keys))

    def bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        values = self.compiled.construct_params(params) if self.own_binds else dict(params)
        for name, proc in self.processors.items():
            if name in values:
                values[name] = proc(values[name])
        return values


async def insert_rows(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_existing: bool = False,
) -> None:
    """Insert many rows (all with the same keys); `skip_existing` ignores key conflicts.

    SQLite: the driver's executemany. PostgreSQL: the whole batch as ONE JSON parameter expanded
    by json_to_recordset: a fixed statement whatever the batch size, serialized by the C json
    encoder instead of adapting every value in Python."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        statement = sqlite.insert(table)
        if skip_existing:
            statement = statement.on_conflict_do_nothing()
        await conn.execute(statement, [dict(r) for r in rows])
        return
    payload = json.dumps([dict(r) for r in rows], ensure_ascii=False, default=_json_default)
    await conn.execute(_recordset_insert(table, tuple(rows[0]), skip_existing), {"rows": payload})


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


@functools.cache
def _recordset_insert(table: Table, columns: tuple[str, ...], skip_existing: bool) -> Any:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    types = ", ".join(f"{quote(c)} {table.c[c].type.compile(dialect=dialect)}" for c in columns)
    return text(
        f"INSERT INTO {quote(table.name)} ({names}) SELECT {names} "
        f"FROM json_to_recordset(CAST(:rows AS json)) AS r({types})"
        + (" ON CONFLICT DO NOTHING" if skip_existing else "")
    )
