"""Querysets compiled to SQL once and re-run with new values: for the hot reads of every page view.

Building and compiling a queryset costs Python time on every request, in proportion to its expressions; the
profile's one-row query (two dozen correlated subqueries) cost more CPU to compile than all the rest of the page,
and PostgreSQL spent longer planning it than running it. Between two requests only a few values change (the
customer, the user), so `CompiledQuery` builds the queryset once per database connection object with sentinel
values standing in for them, keeps the SQL and the compiler's row layout, and per call only swaps the values in
and turns the rows into model instances the way the ORM does (select_related objects and annotations included).

On PostgreSQL the SQL is also a server-side prepared statement (PREPARE once per connection, then EXECUTE): the
server parses it once, and after the first five runs keeps one generic plan when that costs no more than planning
for the values (it does for the profile; the duplicate candidates' OR of indexes still gets a plan per run).
Session-level prepared statements need a direct connection (or a session-mode pooler); set
DB_PREPARED_STATEMENTS=false behind a transaction-mode pooler such as PgBouncer in transaction mode.

A queryset qualifies when its SQL depends only on the slot values, not on their presence or number: e.g. a
list of phones becomes a fixed number of slots, None for the unused ones (`IN (NULL)` matches nothing). Slots are
int, str, Prefix (a `__startswith` value), date or datetime (aware, compared with date/time columns).
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

# Inside the range of every integer column: Django turns a lookup with an out-of-range integer into an empty or
# full result instead of a parameter, and the sentinel would then be missing from the compiled SQL.
_INT_SENTINEL_BASE = -2_147_483_000
_PLACEHOLDER = re.compile(r"%%|%s")
# Statement names already prepared on each server session (by psycopg connection object). Shared by every
# CompiledQuery: two queries compiling to the same SQL share one statement name.
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class Prefix(str):
    """A slot value used with `__startswith`: the ORM sends it as a LIKE pattern (escaped, then `%`)."""


SLOT_KINDS = (int, str, Prefix, date, datetime)
# Dates and times no real row holds (the ORM may send them as text: SQLite), one per slot.
_DATE_SENTINEL = date(1901, 2, 3)
_DATETIME_SENTINEL = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)


def _sentinel(kind: type, index: int):
    if kind is int:
        return _INT_SENTINEL_BASE + index
    if kind is datetime:
        return _DATETIME_SENTINEL + timedelta(seconds=index)
    if kind is date:
        return _DATE_SENTINEL + timedelta(days=index)
    # Strings without LIKE wildcards or escapes, so a Prefix reaches the SQL as exactly sentinel + "%".
    return f"dm-slot-{index}"


def _as_sent(kind: type, value, connection):
    """The slot value as the ORM puts it among a query's parameters on this connection."""
    if value is None:
        return None
    if kind is Prefix:
        return connection.ops.prep_for_like_query(value) + "%"
    if kind is datetime:
        return connection.ops.adapt_datetimefield_value(value)
    if kind is date:
        return connection.ops.adapt_datefield_value(value)
    return value


@dataclass
class _Compiled:
    sql: str
    params: list
    slots: dict[str, tuple[type, list[int]]]
    compiler: object
    init_list: list[str]
    model_fields: slice
    related_populators: list
    annotation_col_map: dict[str, int]
    converters: dict
    statement: str = ""  # PostgreSQL: the prepared statement's name
    prepare_sql: str = ""
    execute_sql: str = ""


class CompiledQuery:
    """`build(**slots)` returns a queryset of model instances; `slots` maps each slot to one of SLOT_KINDS.

    `CompiledQuery(build, pk=int).all(pk=7)` returns what `list(build(pk=7))` would, in one query (select_related
    and annotations included; not prefetch_related, which would be more queries anyway).
    """

    def __init__(self, build: Callable[..., QuerySet], *, using: str = DEFAULT_DB_ALIAS, **slots: type):
        if any(kind not in SLOT_KINDS for kind in slots.values()):
            raise ImproperlyConfigured("CompiledQuery slots are int, str, Prefix, date or datetime.")
        self._build = build
        self._using = using
        self._slots = slots

    def all(self, **values) -> list[Model]:
        connection = connections[self._using]
        # One compilation per connection object (Django keeps one per thread and alias), kept on it: the
        # converters and backend operations bound into the compiler belong to the connection that runs the query,
        # and go away with it.
        per_connection = connection.__dict__.setdefault("_compiled_queries", {})
        compiled = per_connection.get(self) or per_connection.setdefault(self, self._compile(connection))
        params = list(compiled.params)
        slot_values = []
        for name, (kind, positions) in compiled.slots.items():
            value = _as_sent(kind, values[name], connection)
            slot_values.append(value)
            for position in positions:
                params[position] = value
        with connection.cursor() as cursor:
            if compiled.statement:
                self._prepare(connection, compiled)
                cursor.execute(compiled.execute_sql, slot_values)
            else:
                cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return self._instances(compiled, connection, rows)

    def first(self, **values) -> Model | None:
        rows = self.all(**values)
        return rows[0] if rows else None

    def _compile(self, connection) -> _Compiled:
        sentinels = {name: _sentinel(kind, index) for index, (name, kind) in enumerate(self._slots.items())}
        queryset = self._build(**sentinels)
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("CompiledQuery returns model instances: no values() or prefetch_related().")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = {}
        for name, kind in self._slots.items():
            expected = _as_sent(kind, sentinels[name], connection)
            positions = [i for i, p in enumerate(params) if type(p) is type(expected) and p == expected]
            if not positions:
                raise ImproperlyConfigured(f"Slot {name!r} does not reach the SQL of {self._build.__qualname__}.")
            slots[name] = (kind, positions)
        select, klass_info = compiler.select, compiler.klass_info
        columns = [s[0] for s in select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ImproperlyConfigured("CompiledQuery does not support composite primary keys.")
        fields = klass_info["select_fields"]
        model_fields = slice(fields[0], fields[-1] + 1)
        compiled = _Compiled(
            sql=sql,
            params=params,
            slots=slots,
            compiler=compiler,
            init_list=[f[0].target.attname for f in select[model_fields]],
            model_fields=model_fields,
            related_populators=get_related_populators(klass_info, select, connection.alias),
            annotation_col_map=dict(compiler.annotation_col_map or {}),
            converters=compiler.get_converters(columns),
        )
        if connection.vendor == "postgresql" and settings.DB_PREPARED_STATEMENTS:
            self._prepare_text(compiled, connection)
        return compiled

    @staticmethod
    def _prepare_text(compiled: _Compiled, connection) -> None:
        """PREPARE text with the constants inlined as literals and each slot as $n (the same $n each time)."""
        slot_number = {}
        for number, (_, positions) in enumerate(compiled.slots.values(), start=1):
            for position in positions:
                slot_number[position] = number
        counter = iter(range(len(compiled.params)))

        def placeholder(match: re.Match) -> str:
            if match.group() == "%%":
                return "%"
            position = next(counter)
            if position in slot_number:
                return f"${slot_number[position]}"
            return connection.ops.compose_sql("%s", [compiled.params[position]])

        body = _PLACEHOLDER.sub(placeholder, compiled.sql)
        compiled.statement = "dm_" + hashlib.sha256(body.encode()).hexdigest()[:16]
        compiled.prepare_sql = f"PREPARE {compiled.statement} AS {body}"
        compiled.execute_sql = f"EXECUTE {compiled.statement}({', '.join(['%s'] * len(compiled.slots))})"

    @staticmethod
    def _prepare(connection, compiled: _Compiled) -> None:
        """Make sure the statement exists on this server session. Like Django's own session setup (time zone,
        role) this is connection set-up, not a query of the page, so it bypasses the query log."""
        raw = connection.connection
        names = _PREPARED.get(raw)
        if names is None:
            names = _PREPARED[raw] = set()
        if compiled.statement not in names:
            with connection.wrap_database_errors, raw.cursor() as cursor:
                cursor.execute(compiled.prepare_sql)
            names.add(compiled.statement)

    @staticmethod
    def _instances(compiled: _Compiled, connection, rows: list) -> list[Model]:
        """What ModelIterable does for a fetched result (converters, the row, its select_related objects, its
        annotations), with the converters worked out once: a wide row has a couple of hundred columns."""
        if not rows:
            return []
        model_cls = compiled.compiler.klass_info["model"]
        db = connection.alias
        out = []
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        for row in rows:
            obj = model_cls.from_db(db, compiled.init_list, row[compiled.model_fields])
            for populator in compiled.related_populators:
                populator.populate(row, obj)
            for attr_name, position in compiled.annotation_col_map.items():
                setattr(obj, attr_name, row[position])
            out.append(obj)
        return out
