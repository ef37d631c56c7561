"""The pull's database-specific tuning, behind one seam: the page lookups by DMS number, the stream of stored
row digests, and the statistics refresh during a big load. What each function returns is plain and the same
on every database; only how it is asked differs. The domain modules (customers, vehicles, repair_orders)
call these and read as the domain.

Why each one, and what it measured:
- Lookups by DMS number are raw SQL. The (dealership, dms_number) unique index is partial (dms_number <> ''),
  and SQLite uses a partial index only when the query repeats its condition with a literal; the ORM binds ''
  as a parameter, so SQLite would scan the store's customers for every page (quadratic over a run). On
  PostgreSQL the page's numbers go as one array parameter (`= ANY(%s)`, as dealermine.lookups does for
  `__any_of`): a couple of thousand placeholders cost more to build and plan than the lookup itself.
- The stored digests are streamed in byte order (C collation) on PostgreSQL: the default collation compares
  through the locale, slower, in what is for hex text the same order (dms_sync.unchanged.StoredDigests keeps
  them sorted).
- ANALYZE during the run (PostgreSQL): without statistics on a freshly bulk-loaded table the planner reads
  every row of the store for each page's lookup instead of using the unique indexes, and a big first import
  turns quadratic. Only the lookup columns are analyzed: a full ANALYZE of the customer table also computes the
  statistics of every expression index (trigram, reverse phones), ~10x the time.

Measured (PostgreSQL, 2 cores): the change that brought the array lookups and the narrowed ANALYZE, with the
read-ahead thread and plain-value COPY (git 235484a), took a 100k-customer full extract (548,563 rows) from
60.7 to ~44 s for a first import and from 20.7 to ~17 s for an unchanged re-run; docs/PERFORMANCE.md records
the 1M runs built on it (first import 167 s, unchanged re-run 19 s). Neither records an A/B of each measure
alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connection
from django.db.models.functions import Collate

from customers.models import Customer, RepairOrder, Vehicle

#: Columns the pull's own lookups filter on (see statistics_refresh).
ANALYZE_COLUMNS = [
    (Customer, ["dealership_id", "dms_number", "dealermine_number"]),
    (Vehicle, ["customer_id", "vin"]),
    (RepairOrder, ["dealership_id", "ro_number"]),
]
#: A run analyzes once it has created this many rows, then each time the rows it created double.
ANALYZE_FROM_CREATED = 10_000


def customers_by_number(store_id: int, numbers: Iterable[str], columns: list[str]) -> list[tuple]:
    """(dms_number, *columns) of the store's customers with these DMS numbers."""
    q = connection.ops.quote_name
    select = ", ".join(q(c) for c in ["dms_number", *columns])
    return _by_customer_number(f"SELECT {select} FROM {q(Customer._meta.db_table)}", store_id, numbers)  # noqa: S608


def vehicle_hashes_by_number(store_id: int, numbers: Iterable[str]) -> list[tuple]:
    """(customer DMS number, VIN, row hash) of the vehicles of the store's customers with these DMS numbers."""
    q = connection.ops.quote_name
    customers, vehicles = q(Customer._meta.db_table), q(Vehicle._meta.db_table)
    head = (
        f"SELECT {customers}.{q('dms_number')}, {vehicles}.{q('vin')}, {vehicles}.{q('dms_row_hash')} "  # noqa: S608
        f"FROM {vehicles} JOIN {customers} ON {customers}.{q('id')} = {vehicles}.{q('customer_id')}"
    )
    return _by_customer_number(head, store_id, numbers, table=customers)


def _by_customer_number(head: str, store_id: int, numbers: Iterable[str], *, table: str = "") -> list[tuple]:
    """Rows of `head` (a SELECT ... FROM over the customer table) for the store's customers with these numbers."""
    numbers = list(numbers)
    q = connection.ops.quote_name
    prefix = f"{table}." if table else ""
    # Only quoted identifiers and placeholders are interpolated; every value is a parameter. The literal ''
    # repeats the partial index's condition (module docstring).
    number = f"{prefix}{q('dms_number')}"
    head = f"{head} WHERE {prefix}{q('dealership_id')} = %s AND NOT ({number} = '')"
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{head} AND {number} = ANY(%s)", [store_id, numbers])
            return cursor.fetchall()
        for start in range(0, len(numbers), 900):  # under SQLite's limit of bound parameters
            chunk = numbers[start : start + 900]
            cursor.execute(f"{head} AND {number} IN ({', '.join(['%s'] * len(chunk))})", [store_id, *chunk])
            rows.extend(cursor.fetchall())
    return rows


def stored_digests(store_id: int, chunk: int = 20_000) -> Iterator[list[str]]:
    """The row digests stored with the store's customers, in chunks, in byte order: for a reader that leaves
    the unchanged rows out (dms_sync.unchanged). One streamed read instead of a lookup per page."""
    order = Collate("dms_row_hash", "C") if connection.vendor == "postgresql" else "dms_row_hash"
    digests = (
        Customer.objects.filter(dealership_id=store_id)
        .exclude(dms_row_hash="")
        .order_by(order)
        .values_list("dms_row_hash", flat=True)
        .iterator(chunk_size=chunk)
    )
    while batch := list(islice(digests, chunk)):
        yield batch


def statistics_refresh(*, created: int, analyzed_at_created: int) -> int:
    """ANALYZE the lookup columns when the rows this run created have doubled since the last time (from
    ANALYZE_FROM_CREATED on); returns the created count the statistics now reflect. PostgreSQL only.
    Autovacuum analyzes the whole tables after the run, as after any large change, but not within it."""
    if connection.vendor != "postgresql" or created < max(ANALYZE_FROM_CREATED, 2 * analyzed_at_created):
        return analyzed_at_created
    q = connection.ops.quote_name
    targets = ", ".join(
        f"{q(model._meta.db_table)} ({', '.join(q(c) for c in columns)})" for model, columns in ANALYZE_COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {targets}")
    return created
