"""Bulk inserts for the nightly pull.

Django's bulk_create compiles one wide parameterised INSERT per batch, and for rows of 40+ columns that
compilation costs more than the database work. For big batches this goes straight to the driver: PostgreSQL
COPY, or one prepared INSERT run with executemany elsewhere (SQLite). Values still go through each field's
`pre_save` and `get_db_prep_save`, so defaults, auto_now(_add) and JSON behave as with bulk_create. Primary
keys are not returned: callers that need them read them back by a natural key.
"""

from django.db import connection

FAST_THRESHOLD = 200


def _rows(fields, objs):
    for obj in objs:
        yield [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def bulk_insert(model, objs: list, *, batch_size: int = 500) -> None:
    if not objs:
        return
    if len(objs) < FAST_THRESHOLD:
        model.objects.bulk_create(objs, batch_size=batch_size)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in _rows(fields, objs):
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", _rows(fields, objs))  # noqa: S608
