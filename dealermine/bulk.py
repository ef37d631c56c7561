"""Bulk inserts (PostgreSQL COPY) for the nightly pull and the bulk writers it calls (contact state, audit).

Django's bulk_create compiles one wide parameterised INSERT per batch, and for rows of 40+ columns that
compilation costs more than the database work. For big batches this goes straight to the driver: PostgreSQL
COPY, or one prepared INSERT run with executemany elsewhere (SQLite). Values go through each field's `pre_save`
and `get_db_prep_save`, so defaults, auto_now(_add) and JSON behave as with bulk_create - except, on PostgreSQL,
for the plain field types whose preparation only hands the value through (text, numbers, dates, booleans,
foreign keys): those are passed straight to psycopg (tests/dms_sync/test_bulk.py compares both ways). Primary
keys are not returned: callers that need them read them back by a natural key.

Rows may also be given as dicts of attname -> value instead of model instances: a field left out takes its
default, as in `Model(**values)`. A big import creates hundreds of thousands of rows that are written once and
never used as objects, and building a model instance cost more than writing its row.
"""

import enum
import json
from collections.abc import Iterable
from functools import partial
from itertools import chain

from django.db import connection, connections, models
from django.utils import timezone

FAST_THRESHOLD = 200
#: From this many rows bulk_update goes set-based on PostgreSQL. A nightly run with 1% changed customers updates
#: about 20 per page of 2,000: Django's CASE per field cost ~67 ms a page for those 20 (compiling the CASE
#: expressions, then PostgreSQL evaluating them), the temporary table and UPDATE ... FROM ~14 ms (100,000
#: customers, 1,000 changed: the run's bulk updates 3.4 s -> 0.7 s).
UPDATE_SET_BASED_FROM = 10
#: Field types whose get_db_prep_save hands the Python value through on PostgreSQL (psycopg adapts it). Calling
#: it anyway costs ~10 us a field through Django's connection proxy: a third of a big import's time.
TEXT_FIELDS = (models.CharField, models.TextField)
PLAIN_FIELDS = (models.IntegerField, models.BooleanField, models.DateField, models.DecimalField, models.ForeignKey)


def _text(value):
    # Choices members are str subclasses that psycopg would dump by enum name; Django stores str(value).
    return value if value is None or type(value) is str else str(value)


def _plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def _stamped(field) -> bool:
    """auto_now / auto_now_add: the value comes from the clock at save time, not from the object."""
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _converters(fields, db):
    """(attname, convert) for the fields that need no Django preparation, (None, field) for the others."""
    fast = db.vendor == "postgresql"
    out = []
    for f in fields:
        stamped = _stamped(f)
        if fast and not stamped and isinstance(f, TEXT_FIELDS):
            out.append((f.attname, _text))
        elif fast and not stamped and isinstance(f, PLAIN_FIELDS):
            out.append((f.attname, _plain))
        else:
            out.append((None, f))
    return out


def _rows(fields, objs, db):
    converters = _converters(fields, db)
    for obj in objs:
        values = obj.__dict__
        yield [
            convert(values[attname]) if attname else convert.get_db_prep_save(convert.pre_save(obj, True), db)
            for attname, convert in converters
        ]


def _value_rows(fields, dicts, db):
    """Rows for dicts of attname -> value: the fields' defaults (prepared once), then each given value."""
    index = {f.attname: i for i, f in enumerate(fields)}
    now = timezone.now()
    template = []
    convert = []
    for f, (attname, fast) in zip(fields, _converters(fields, db), strict=True):
        default = now if _stamped(f) else f.get_default()
        if db.vendor == "postgresql" and isinstance(f, models.JSONField):
            # COPY takes JSON as text: dumped once here rather than by the driver for every row.
            template.append(json.dumps(default, cls=f.encoder))
        else:
            template.append(f.get_db_prep_save(default, db))
        convert.append(fast if attname else partial(_prepare, f, db))
    for values in dicts:
        row = template.copy()
        for attname, value in values.items():
            i = index[attname]
            row[i] = convert[i](value)
        yield row


def _prepare(field, db, value):
    return field.get_db_prep_save(value, db)


def bulk_insert(model, objs: Iterable, *, batch_size: int = 500) -> None:
    """Insert a list of model instances, or any iterable of dicts of attname -> value (see the module
    docstring). Dicts always go through the driver and are consumed as the rows are sent: a generator that
    validates rows as it yields them overlaps that work with the database's."""
    if isinstance(objs, list):
        if not objs:
            return
        if not isinstance(objs[0], dict):
            if len(objs) < FAST_THRESHOLD:
                model.objects.bulk_create(objs, batch_size=batch_size)
                return
            _write(model, objs, as_values=False)
            return
    rows = iter(objs)
    first = next(rows, None)
    if first is not None:  # nothing to write: no COPY round trip
        _write(model, chain([first], rows), as_values=True)


def _write(model, objs: Iterable, *, as_values: bool) -> None:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    db = connections[connection.alias]  # the real connection object, resolved once, not the thread-local proxy
    rows = _value_rows(fields, objs, db) if as_values else _rows(fields, objs, db)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


def bulk_update(model, objs: list, fields: list[str], *, batch_size: int = 500) -> None:
    """Model.objects.bulk_update(objs, fields), set-based on PostgreSQL for big lists.

    Django's bulk_update writes `SET f = CASE WHEN id = 1 THEN ... WHEN id = 2 ...` per field per batch: the SQL
    grows with rows x fields, and PostgreSQL evaluates every CASE for every row. Here the new values go by COPY
    into a temporary table shaped like the updated columns, and one `UPDATE ... FROM` joins it on the primary key.
    Values are taken from the objects as bulk_update takes them (no pre_save: a caller stamps updated_at itself).
    Short lists (UPDATE_SET_BASED_FROM), and other databases, use bulk_update (tests/test_bulk.py compares both
    ways). Measured
    (PostgreSQL 15, 2 busy cores, 10,000 of a store's 20,000 customers, 7 fields, in pages of 2,000 as the pull
    writes them): 19-24 s with bulk_update, 0.6-0.8 s set-based."""
    if not objs:
        return
    if connection.vendor != "postgresql" or len(objs) < UPDATE_SET_BASED_FROM:
        model.objects.bulk_update(objs, fields, batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    targets = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    staging = quote(f"bulk_update_{meta.db_table}")
    columns = [quote(pk.column), *(quote(f.column) for f in targets)]
    db = connections[connection.alias]
    converters = [(pk.attname, _plain), *_update_converters(targets, db)]
    assignments = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in targets)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(
            f"CREATE TEMP TABLE {staging} AS SELECT {', '.join(columns)} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with cursor.cursor.copy(f"COPY {staging} ({', '.join(columns)}) FROM STDIN") as copy:
            for obj in objs:
                values = obj.__dict__
                copy.write_row([convert(values[attname]) for attname, convert in converters])
        cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s "  # noqa: S608
            f"WHERE t.{quote(pk.column)} = s.{quote(pk.column)}"
        )
        cursor.execute(f"DROP TABLE {staging}")


def _update_converters(fields, db):
    """(attname, convert(value)) per field: plain values handed through, the rest prepared by the field, as
    bulk_insert's value rows do (_value_rows)."""
    return [
        (attname, fast) if attname else (f.attname, partial(_prepare, f, db))
        for (attname, fast), f in zip(_converters(fields, db), fields, strict=True)
    ]
