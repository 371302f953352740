"""The message store and the event log, on one SQLAlchemy connection.

Every message gets a row with the header fields of IRIS's ``Ens.MessageHeader`` and its
(masked) body as JSON text, kept and read back as the text it was given. A request entering
the production is committed before it is handed to a worker (:meth:`MessageStore.add_message`);
what happens next (Delivered, the outcome, the response, log entries, the requests its handler
sends to other items) is queued and committed in batches by one writer thread, in the order it
was queued, so the hot path pays for one commit per message. Ids are allocated in memory from
the table's maximum: one host owns one store.

A database that is busy (another writer holds SQLite's lock) or unreachable is retried with
backoff: the writer thread keeps its batch until it is saved, and a request that cannot be
committed within :data:`REQUEST_WAIT` seconds is refused (:class:`StoreUnavailableError`),
never delivered unsaved.

Writes go through one driver connection with statements SQLAlchemy compiled once
(:class:`_DriverStatement`); reads use a SQLAlchemy connection of their own, so a portal page
never waits behind a commit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .errors import StoreUnavailableError

#: Statuses of a message that the host has not finished: after a crash they become Aborted.
UNFINISHED = ("Created", "Queued", "Delivered")
STATUSES = ("Created", "Queued", "Delivered", "Completed", "Error", "Discarded", "Suspended", "Aborted")

#: How long a request waits for a busy database before it is refused; retries back off up to RETRY_MAX s.
REQUEST_WAIT = 30.0
RETRY_FIRST, RETRY_MAX = 0.05, 2.0

_log = logging.getLogger(__name__)
metadata = MetaData()

messages = Table(
    "iophost_message_header", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("session_id", BigInteger, nullable=False, index=True),
    Column("source_config_name", String(255), nullable=False, default=""),
    Column("target_config_name", String(255), nullable=False, default=""),
    Column("type", String(16), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("priority", String(16), nullable=False, default="Sync"),
    Column("time_created", DateTime, nullable=False, index=True),
    Column("time_processed", DateTime),
    Column("is_error", Boolean, nullable=False, default=False),
    Column("error_text", Text, nullable=False, default=""),
    Column("body_class_name", String(255), nullable=False, default=""),
    Column("corresponding_message_id", BigInteger),
    Column("body", Text),
)

event_log = Table(
    "iophost_event_log", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("time_logged", DateTime, nullable=False),
    Column("type", String(16), nullable=False),
    Column("config_name", String(255), nullable=False, default=""),
    Column("job", String(32), nullable=False, default=""),
    Column("message_id", BigInteger),
    Column("session_id", BigInteger),
    Column("source_class", String(255), nullable=False, default=""),
    Column("source_method", String(255), nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
)

_INSERT_MESSAGE = insert(messages)
_INSERT_LOG = insert(event_log)
_MARK = (update(messages).where(messages.c.id == bindparam("message_id"))
         .values(status=bindparam("new_status")))
_FINISH = (update(messages).where(messages.c.id == bindparam("message_id"))
           .values(status=bindparam("new_status"), time_processed=bindparam("processed"),
                   is_error=bindparam("failed"), error_text=bindparam("error")))


def now() -> datetime:
    """Store times are UTC, like ``Ens.MessageHeader.TimeCreated``."""
    return datetime.now(UTC).replace(tzinfo=None)


def render_time(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(sep=" ", timespec="milliseconds")


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            # WAL: readers never block the writer; NORMAL: a commit survives a crash of the host
            # process (not of the machine), which is what "persisted before delivery" guards.
            cursor = connection.cursor()
            # Taken by a new database only: a body of 1 MB (an embedding) is committed with 45 % less
            # CPU in 16 KB pages than in 4 KB ones (0.02 ms more for a small message).
            cursor.execute("PRAGMA page_size=16384")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class _DriverStatement:
    """An INSERT or UPDATE compiled once for the dialect and run on the driver's cursor.

    SQLAlchemy's per-execution bookkeeping costs about 100 µs on 2 cores, more than SQLite's own
    insert and commit, on a path every message takes; the SQL and each value's conversion
    (e.g. SQLite's DATETIME text) still come from SQLAlchemy.
    """

    def __init__(self, statement: Any, dialect: Any, column_keys: list[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        self._names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
        self._positional = compiled.positional
        self._convert = [(name, bind.type.dialect_impl(dialect).bind_processor(dialect))
                         for name, bind in compiled.binds.items()]

    def parameters(self, row: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = dict(row)
        for name, convert in self._convert:
            if convert is not None:
                values[name] = convert(values[name])
        return tuple(values[name] for name in self._names) if self._positional else values

    def run(self, cursor: Any, rows: list[dict[str, Any]]) -> None:
        if len(rows) == 1:
            cursor.execute(self.sql, self.parameters(rows[0]))
        else:
            cursor.executemany(self.sql, [self.parameters(row) for row in rows])


def _message_row(row: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(row)
    data["time_created"] = render_time(data["time_created"])
    data["time_processed"] = render_time(data["time_processed"])
    return data


def _log_row(row: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(row)
    data["time_logged"] = render_time(data["time_logged"])
    return data


class MessageStore:
    """Messages and event log entries in a SQL database (SQLite file or any SQLAlchemy URL)."""

    def __init__(self, url: str, *, batch_interval: float = 0.005) -> None:
        self.url = url
        self._engine = _engine(url)
        metadata.create_all(self._engine)
        self._conn = self._engine.connect()  # reads
        self._lock = threading.RLock()
        self._writes: Any = self._engine.raw_connection()  # writes, see _DriverStatement; None once broken
        self._write_lock = threading.Lock()
        #: What a busy (SQLite's lock) or unreachable database raises: worth retrying.
        self._transient = self._engine.dialect.loaded_dbapi.OperationalError
        self._closed = False
        dialect = self._engine.dialect
        self._statements = {_INSERT_MESSAGE: _DriverStatement(_INSERT_MESSAGE, dialect, [c.key for c in messages.c]),
                            _INSERT_LOG: _DriverStatement(_INSERT_LOG, dialect, [c.key for c in event_log.c]),
                            _MARK: _DriverStatement(_MARK, dialect), _FINISH: _DriverStatement(_FINISH, dialect)}
        self._next_message_id = self._max_id(messages) + 1
        self._next_log_id = self._max_id(event_log) + 1
        self._ids = threading.Lock()
        self._pending: list[tuple[Any, dict[str, Any]]] = []
        self._queued = self._applied = 0
        self._changed = threading.Condition()
        self._batch_interval = batch_interval
        self._closing = False
        self._writer = threading.Thread(target=self._write_loop, name="iophost store writer", daemon=True)
        self._writer.start()

    def _max_id(self, table: Table) -> int:
        with self._lock:
            value = self._conn.execute(select(func.max(table.c.id))).scalar()
            self._conn.commit()
        return int(value or 0)

    # -- writes ---------------------------------------------------------------------------------
    def new_message_id(self) -> int:
        with self._ids:
            message_id = self._next_message_id
            self._next_message_id += 1
            return message_id

    def add_message(self, **fields: Any) -> None:
        """Insert and commit one message now (a request, before it is delivered); ``body`` is JSON text.

        Raises:
            StoreUnavailableError: the database stayed busy or unreachable for REQUEST_WAIT seconds.
        """
        self._write_retrying([(_INSERT_MESSAGE, [self._message_params(fields)])], time.monotonic() + REQUEST_WAIT)

    def add_message_later(self, **fields: Any) -> None:
        self._defer(_INSERT_MESSAGE, self._message_params(fields))

    @staticmethod
    def _message_params(fields: dict[str, Any]) -> dict[str, Any]:
        return {"priority": "Sync", "time_processed": None, "is_error": False, "error_text": "",
                "corresponding_message_id": None, "time_created": now(), "body": None, **fields}

    def mark_later(self, message_id: int, status: str) -> None:
        self._defer(_MARK, {"message_id": message_id, "new_status": status})

    def finish_later(self, message_id: int, status: str, error: str = "", processed: datetime | None = None) -> None:
        self._defer(_FINISH, {"message_id": message_id, "new_status": status, "processed": processed or now(),
                              "failed": status in ("Error", "Aborted"), "error": error})

    def log_later(self, type: str, config_name: str, text: str, *, session_id: int | None = None,
                  message_id: int | None = None, job: str = "", source_class: str = "",
                  source_method: str = "") -> int:
        with self._ids:
            log_id = self._next_log_id
            self._next_log_id += 1
            # Queued under the id lock so the committed entries are always a prefix of the ids:
            # a reader polling with ``since_id`` never skips one.
            self._defer(_INSERT_LOG, {
                "id": log_id, "time_logged": now(), "type": type, "config_name": config_name, "job": job,
                "message_id": message_id, "session_id": session_id, "source_class": source_class or "",
                "source_method": source_method or "", "text": text})
        return log_id

    def _defer(self, statement: Any, params: dict[str, Any]) -> None:
        with self._changed:
            self._pending.append((statement, params))
            self._queued += 1
            self._changed.notify_all()

    def _write_loop(self) -> None:
        while True:
            with self._changed:
                while not self._pending and not self._closing:
                    self._changed.wait()
                if not self._pending and self._closing:
                    return
            # A short pause lets a burst of outcomes and log lines share one commit.
            time.sleep(self._batch_interval)
            with self._changed:
                batch, self._pending = self._pending, []
            try:
                self._write_retrying(list(_grouped(batch)), None)
            except Exception:  # the database refused these rows themselves (a bug): say what was lost
                _log.exception("iophost store: %d status change(s), response(s) or log entries not saved", len(batch))
            with self._changed:
                self._applied += len(batch)
                self._changed.notify_all()

    def _write_retrying(self, work: list[tuple[Any, list[dict[str, Any]]]], deadline: float | None) -> None:
        """``_write``, again with backoff while the database is busy or unreachable, until
        ``deadline`` (None: until it is saved, or the store is closed)."""
        delay, attempt = RETRY_FIRST, 1
        while True:
            try:
                self._write(work)
            except self._transient as exc:
                if deadline is not None and time.monotonic() + delay > deadline:
                    raise StoreUnavailableError(f"the message store is busy or unreachable: {exc}") from exc
                if attempt == 1:
                    _log.warning("iophost store: database busy or unreachable (%s); retrying", exc)
            else:
                if attempt > 1:
                    _log.warning("iophost store: database available again; saved after %d attempts", attempt)
                return
            time.sleep(delay)
            delay, attempt = min(delay * 2, RETRY_MAX), attempt + 1

    def _write(self, work: Iterable[tuple[Any, list[dict[str, Any]]]]) -> None:
        with self._write_lock:
            if self._writes is None:
                if self._closed:
                    raise StoreUnavailableError("the message store is closed")
                self._writes = self._engine.raw_connection()
            cursor = self._writes.cursor()
            try:
                for statement, rows in work:
                    self._statements[statement].run(cursor, rows)
                self._writes.commit()
            except BaseException:
                try:
                    self._writes.rollback()
                except self._transient:  # the server closed the connection: take a new one next time
                    self._writes.invalidate()
                    self._writes = None
                raise
            finally:
                cursor.close()

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until everything queued so far is committed."""
        with self._changed:
            target = self._queued
            self._changed.wait_for(lambda: self._applied >= target, timeout=timeout)

    def abort_unfinished(self, reason: str) -> int:
        """Mark every message left Created/Queued/Delivered as Aborted; return how many."""
        with self._write_lock, self._lock:
            result = self._conn.execute(
                update(messages).where(messages.c.status.in_(UNFINISHED))
                .values(status="Aborted", is_error=True, error_text=reason, time_processed=now()))
            self._conn.commit()
        return result.rowcount or 0

    def close(self) -> None:
        """Commit what is queued and close the connections (a second call does nothing)."""
        if self._closing:
            return
        self.flush()
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        self._writer.join(timeout=10)
        with self._write_lock:
            self._closed = True
            if self._writes is not None:
                self._writes.close()
                self._writes = None
        with self._lock:
            self._conn.close()
        self._engine.dispose()

    # -- reads ----------------------------------------------------------------------------------
    def _read(self, statement: Any) -> list[Mapping[str, Any]]:
        self.flush()
        with self._lock:
            try:
                rows = list(self._conn.execute(statement).mappings())
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
                # The server closed the connection (a restart): SQLAlchemy reconnects once rolled back.
                self._conn.rollback()
                rows = list(self._conn.execute(statement).mappings())
            self._conn.commit()
        return rows

    def message(self, message_id: int) -> dict[str, Any] | None:
        rows = self._read(select(messages).where(messages.c.id == message_id))
        return _message_row(rows[0]) if rows else None

    def session(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._read(select(messages).where(messages.c.session_id == session_id).order_by(messages.c.id))
        return [_message_row(row) for row in rows]

    def find(self, *, since: datetime | None = None, until: datetime | None = None, status: str = "",
             source: str = "", target: str = "", body_class: str = "", session_id: int | None = None,
             offset: int = 0, limit: int = 50, contains: bool = False, body_text: str = "",
             oldest_first: bool = False) -> tuple[list[dict[str, Any]], int]:
        """Messages matching every given field, newest first (``oldest_first``: by id ascending), and how
        many match in all. With ``contains``, source, target and body class match any part of the name
        in any case; ``body_text`` keeps the messages whose body holds that text (any case)."""
        conditions = [column == value for column, value in (
            (messages.c.status, status), (messages.c.session_id, session_id)) if value not in (None, "")]
        conditions += [_matching(column, value, contains) for column, value in (
            (messages.c.source_config_name, source), (messages.c.target_config_name, target),
            (messages.c.body_class_name, body_class)) if value]
        if body_text:
            conditions.append(messages.c.body.icontains(body_text, autoescape=True))
        conditions += _window(messages.c.time_created, since, until)
        where = and_(True, *conditions)
        total = self._read(select(func.count()).select_from(messages).where(where))[0]
        order = messages.c.id.asc() if oldest_first else messages.c.id.desc()
        rows = self._read(select(messages).where(where).order_by(order).offset(offset).limit(limit))
        return [_message_row(row) for row in rows], int(next(iter(total.values())))

    def search_log(self, *, since: datetime | None = None, until: datetime | None = None, type: str = "",
                   config_name: str = "", text: str = "", offset: int = 0, limit: int = 100,
                   oldest_first: bool = False) -> list[dict[str, Any]]:
        """Event log entries in a time window whose item name and text contain the given parts (any
        case), of one type when given; newest first unless ``oldest_first``."""
        conditions = [event_log.c.type == type] if type else []
        conditions += [column.icontains(value, autoescape=True)
                       for column, value in ((event_log.c.config_name, config_name), (event_log.c.text, text)) if value]
        conditions += _window(event_log.c.time_logged, since, until)
        order = event_log.c.id.asc() if oldest_first else event_log.c.id.desc()
        statement = select(event_log).where(and_(True, *conditions)).order_by(order).offset(offset).limit(limit)
        return [_log_row(row) for row in self._read(statement)]

    def count_unfinished(self, target: str) -> int:
        rows = self._read(select(func.count()).select_from(messages).where(
            and_(messages.c.target_config_name == target, messages.c.status.in_(UNFINISHED))))
        return int(next(iter(rows[0].values())))

    def log_entries(self, *, since_id: int | None = None, top: int = 10, type: str = "",
                    config_name: str = "", session_id: int | None = None) -> list[dict[str, Any]]:
        """Entries after ``since_id`` (ascending), else the newest ``top`` (descending), as IoP's REST API;
        only those of ``session_id`` when given."""
        statement = select(event_log)
        if session_id is not None:
            statement = statement.where(event_log.c.session_id == session_id)
        if type:
            statement = statement.where(event_log.c.type == type)
        if config_name:
            statement = statement.where(event_log.c.config_name == config_name)
        if since_id is not None:
            statement = statement.where(event_log.c.id > since_id).order_by(event_log.c.id).limit(max(top, 1000))
        else:
            statement = statement.order_by(event_log.c.id.desc()).limit(top)
        return [_log_row(row) for row in self._read(statement)]


def _matching(column: Any, value: str, contains: bool) -> Any:
    return column.icontains(value, autoescape=True) if contains else column == value


def _window(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    """Conditions keeping ``column`` between ``since`` and ``until`` (either may be open)."""
    return ([column >= since] if since is not None else []) + ([column <= until] if until is not None else [])


def _grouped(batch: Iterable[tuple[Any, dict[str, Any]]]) -> Iterable[tuple[Any, list[dict[str, Any]]]]:
    """The batch as one ``executemany`` per statement: new rows first, then status changes.

    A message marked Delivered and finished in the same batch only needs its final state; a
    status change follows the insert of its row (a hop's request is queued, not committed); the
    batch commits as one transaction, so nothing else depends on the order within it.
    """
    finished = {params["message_id"] for statement, params in batch if statement is _FINISH}
    by_statement: dict[Any, list[dict[str, Any]]] = {}
    for statement, params in batch:
        if statement is _MARK and params["message_id"] in finished:
            continue
        by_statement.setdefault(statement, []).append(params)
    for statement in (_INSERT_MESSAGE, _MARK, _FINISH, _INSERT_LOG):
        if statement in by_statement:
            yield statement, by_statement[statement]
