"""Randomized nights of DMS extracts against a coordinator's day (DESIGN §6 "three-way merge").

Each seed plays a few nights for a handful of customers. By day a coordinator edits fields, removes values with
the X, turns contact methods off and on, and merges one file into another with a fill, all through the services.
By night the DMS sends every customer's record: some fields genuinely changed (dated before or after the
coordinator's edits), removed values re-sent reformatted and moved to another field of their family, rows that
only carry yesterday's values with a newer date, and customers repeated earlier in the extract with other values
(on other pages: random batch sizes, thread or process reader). After every pull and every identical re-run the
invariants of the issue are checked against a small model of what the DMS and the coordinator did - the model
records facts, not the sync's algorithm.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import ContactMethod
from contacts.services.methods import contact_method_switch
from customers.audit import Conflict
from customers.models import Customer, CustomerHistory, HistorySource, Relationship
from customers.services.customer import customer_update
from customers.services.merge import customer_merge
from dms_sync.extract_format import CUSTOMER_COLUMNS
from dms_sync.models import SyncStatus
from dms_sync.services.pull import dms_pull
from dms_sync.services.removal import customer_value_remove
from tests.customers.factories import MembershipFactory, TurnOffReasonFactory, UserFactory

from .extracts import csv_bytes, customer_row, write_raw_extract

PHONES = ("home_phone", "work_phone", "cell_phone")
EMAILS = ("email1", "email2")
NAMES = ("first_name", "last_name", "city")
FIELDS = NAMES + PHONES + EMAILS
FAMILY = {**dict.fromkeys(PHONES, "phone"), **dict.fromkeys(EMAILS, "email")}
#: Customer field -> extract column (the same names here, but for the registry's own test of DMS_COLUMNS).
COLUMN = {f: f for f in FIELDS}
FLAG_OF = {"email": "allow_email", "mail": "allow_mail"}


def phone_text(digits: str, style: int) -> str:
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return (f"({area}) {exchange}-{line}", f"{area}.{exchange}.{line}", f"+1 {area} {exchange} {line}")[style % 3]


def normalized(name: str, text: str) -> str:
    """The model's own normalization of what the DMS sent (E.164 for these US numbers, lower-case email)."""
    if not text:
        return ""
    if FAMILY.get(name) == "phone":
        return "+1" + "".join(ch for ch in text if ch.isdigit())[-10:]
    if FAMILY.get(name) == "email":
        return text.lower()
    return text


@dataclass
class Model:
    rng: random.Random
    numbers: list[str]
    #: The DMS's record per customer: column -> text, as it would send it tonight.
    dms: dict[str, dict] = field(default_factory=dict)
    #: What the DMS last sent (normalized) per customer and field / flag, after the last pull.
    sent: dict[str, dict] = field(default_factory=dict)
    #: Values a coordinator removed with the X: (number, family) -> normalized values.
    removed: dict[tuple[str, str], set] = field(default_factory=dict)
    #: A person's live edits: (number, field) -> normalized value.
    edits: dict[tuple[str, str], str] = field(default_factory=dict)
    #: A person's switches: (number, method) -> is_on.
    switches: dict[tuple[str, str], bool] = field(default_factory=dict)
    serial: int = 0

    def fresh_phone(self) -> str:
        self.serial += 1
        return f"313555{self.serial % 100:02d}{self.rng.randrange(10, 99)}"[:10]

    def fresh_email(self, number: str) -> str:
        self.serial += 1
        return f"c{number}.{self.serial}@mail.example.com"


def _initial_record(model: Model, number: str) -> dict:
    rng = model.rng
    row = customer_row(
        number,
        first_name=rng.choice(["Ann", "Bea", "Cal", "Dee"]),
        last_name=rng.choice(["Smith", "Lee", "Roy", "Diaz"]),
        city=rng.choice(["Detroit", "Troy", ""]),
        home_phone=phone_text(model.fresh_phone(), rng.randrange(3)) if rng.random() < 0.6 else "",
        work_phone="",
        cell_phone=phone_text(model.fresh_phone(), rng.randrange(3)),
        email1=model.fresh_email(number),
        email2="" if rng.random() < 0.6 else model.fresh_email(number),
        allow_email=rng.choice("YN"),
        allow_mail="Y",
        last_change_date="2026-01-01",
    )
    return row


def _dms_changes(model: Model, number: str, today) -> None:
    """What the DMS does to one record during a day."""
    rng = model.rng
    row = model.dms[number]
    roll = rng.random()
    dated = today + timedelta(days=rng.choice([-2, -1, 0, 1, 2]))
    if roll < 0.3:  # a genuine change of one field
        name = rng.choice(FIELDS)
        if FAMILY.get(name) == "phone":
            row[name] = phone_text(model.fresh_phone(), rng.randrange(3))
        elif FAMILY.get(name) == "email":
            row[name] = model.fresh_email(number)
        else:
            row[name] = rng.choice(["Eve", "Fay", "Gus", "Kent", "Flint", ""]) if name == "city" else f"N{model.serial}"
            model.serial += 1
        row["last_change_date"] = dated.isoformat()
    elif roll < 0.45:  # another field of no interest changed: yesterday's values with a newer date
        row["language"] = rng.choice(["en", "fr", "es"])
        row["last_change_date"] = dated.isoformat()
    elif roll < 0.6:  # a removed value re-sent, reformatted, in another field of its family
        removed = [(family, v) for (n, family), values in model.removed.items() if n == number for v in values]
        if removed:
            family, value = rng.choice(removed)
            name = rng.choice(PHONES if family == "phone" else EMAILS)
            row[name] = phone_text(value[2:], rng.randrange(3)) if family == "phone" else value.upper()
            row["last_change_date"] = dated.isoformat()
    elif roll < 0.7:  # the DMS flips its email flag
        row["allow_email"] = "N" if row["allow_email"] == "Y" else "Y"
        row["last_change_date"] = dated.isoformat()
    # else: nothing changed today


def _coordinator_day(model: Model, actor, reason) -> None:
    rng = model.rng
    for _ in range(rng.randrange(1, 4)):
        number = rng.choice(model.numbers)
        customer = Customer.objects.get(dms_number=number)
        if customer.merge_parent_id:
            continue
        action = rng.random()
        if action < 0.4:
            name = rng.choice(NAMES + PHONES + EMAILS)
            if FAMILY.get(name) == "phone":
                value = phone_text(model.fresh_phone(), 0)
            elif FAMILY.get(name) == "email":
                value = model.fresh_email(number)
            else:
                value = rng.choice(["Zed", "Yara", "Xeno", "Lansing"])
            customer_update(customer=customer, data={name: value}, actor=actor, expected_version=customer.version)
            model.edits[(number, name)] = normalized(name, value)
        elif action < 0.7:
            filled = [n for n in PHONES + EMAILS if getattr(customer, n)]
            if filled:
                name = rng.choice(filled)
                result = customer_value_remove(customer=customer, field=name, actor=actor)
                model.removed.setdefault((number, FAMILY[name]), set()).add(result.value)
                model.edits[(number, name)] = ""
                for other in ("work_ext",):
                    model.edits.pop((number, other), None)
        else:
            method = rng.choice(["email", "mail"])
            state = ContactMethod.objects.filter(customer=customer, method=method).first()
            is_on = not (state.is_on if state else True)
            contact_method_switch(
                customer=customer, method=method, is_on=is_on, reason=None if is_on else reason, actor=actor
            )
            model.switches[(number, method)] = is_on


def _merge_with_fill(model: Model, actor) -> None:
    """Merge a file with an empty Email 2 into... its parent, filling that field from the child."""
    customers = {c.dms_number: c for c in Customer.objects.filter(dms_number__in=model.numbers, merge_parent=None)}
    for parent_number in model.numbers:
        parent = customers.get(parent_number)
        if parent is None or parent.email2:
            continue
        for child_number in model.numbers:
            child = customers.get(child_number)
            if child is None or child is parent or not child.email2 or child.merge_children.exists():
                continue
            customer_merge(
                parent=parent,
                children=[child],
                relationships={child.pk: Relationship.DUPLICATE},
                fill_fields={"email2": child.pk},
                actor=actor,
            )
            model.edits[(parent_number, "email2")] = normalized("email2", child.email2)
            return


def _write_night(model: Model, root, code: str, day: str) -> None:
    rng = model.rng
    rows = []
    for number in model.numbers:
        if rng.random() < 0.3:  # an earlier row of the same customer, somewhere before its last one
            stale = dict(model.dms[number])
            stale.update(first_name="Stale", city="Nowhere", cell_phone=phone_text(model.fresh_phone(), 1))
            rows.insert(rng.randrange(len(rows) + 1), stale)
        rows.append(dict(model.dms[number]))
    write_raw_extract(root, code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=len(rows), day=day)


def _snapshot(store) -> tuple:
    customers = list(
        Customer.objects.filter(dealership=store)
        .order_by("dms_number")
        .values_list("dms_number", "version", "dms_base", "preferred_contact_method", *FIELDS, "language")
    )
    methods = list(
        ContactMethod.objects.order_by("customer_id", "method").values_list("customer_id", "method", "is_on")
    )
    return customers, methods, CustomerHistory.objects.count()


def _pull(store, root, *, batch_size: int, process: bool, settings):
    settings.DMS_SYNC_READER_PROCESS_ROWS = 1 if process else 0
    run = dms_pull(dealership=store, path=root / store.code, batch_size=batch_size)
    assert run.status == SyncStatus.SUCCEEDED, run.error
    return run


def _check(model: Model, store, before: dict, run) -> None:
    """The invariants after a pull: `before` is each customer's values before it (number -> field -> value)."""
    customers = {c.dms_number: c for c in Customer.objects.filter(dealership=store)}
    entries = CustomerHistory.objects.filter(customer__dealership=store, created_at__gte=run.started_at)
    dms_entries = {}
    for entry in entries.filter(source=HistorySource.DMS_SYNC):
        for change in entry.changes:
            dms_entries.setdefault(entry.customer_id, []).append(change)
    methods = {(m.customer_id, m.method): m.is_on for m in ContactMethod.objects.all()}
    for number in model.numbers:
        customer = customers[number]
        record = model.dms[number]
        changed_by_dms = {f for f in FIELDS if normalized(f, record[f]) != model.sent[number].get(f)}
        for name in FIELDS:
            value = getattr(customer, name) or ""
            # 1. A removed value is in no field of its family.
            if name in FAMILY:
                assert value not in model.removed.get((number, FAMILY[name]), set()), (number, name, value)
            # 2. A person's edit stays while the DMS does not change that field.
            edit = model.edits.get((number, name))
            if edit is not None and name not in changed_by_dms:
                assert value == edit, (number, name, value, edit)
            # 3. A genuine DMS change is applied, or recorded as a conflict the person won, or was removed for good.
            if name in changed_by_dms:
                sent = normalized(name, record[name])
                kept = any(
                    c["field"] == name and c.get("conflict") == Conflict.PERSON
                    for c in dms_entries.get(customer.pk, [])
                )
                suppressed = sent in model.removed.get((number, FAMILY.get(name)), set())
                assert value == sent or kept or suppressed, (number, name, value, sent)
            # 4. Every change the pull made has its history entry.
            if value != before[number][name]:
                assert any(c["field"] == name for c in dms_entries.get(customer.pk, [])), (number, name)
        # 5. A person's switch stays while the DMS does not change the flag.
        for (switched_number, method), is_on in model.switches.items():
            flag = FLAG_OF[method]
            if switched_number == number and record[flag] == model.sent[number].get(flag):
                assert methods.get((customer.pk, method), True) is is_on, (number, method)
    # What the DMS sent tonight is the base from now on; a person's edit the DMS overrode is no longer live.
    for number in model.numbers:
        customer = customers[number]
        model.sent[number] = {f: normalized(f, model.dms[number][f]) for f in FIELDS}
        model.sent[number].update({flag: model.dms[number][flag] for flag in FLAG_OF.values()})
        for name in FIELDS:
            if (number, name) in model.edits and (getattr(customer, name) or "") != model.edits[(number, name)]:
                del model.edits[(number, name)]
        for method in FLAG_OF:
            switched = model.switches.get((number, method))
            if switched is not None and methods.get((customer.pk, method), True) is not switched:
                del model.switches[(number, method)]


def _values(store) -> dict:
    return {
        c.dms_number: {f: getattr(c, f) or "" for f in FIELDS}
        for c in Customer.objects.filter(dealership=store).only("dms_number", *FIELDS)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_randomized_nights_keep_every_correction_and_rerun_idempotently(seed, file_store, dms_dirs, settings):
    rng = random.Random(seed)
    root = dms_dirs[0]
    actor = UserFactory(username=f"coordinator{seed}")
    MembershipFactory(user=actor, dealership=file_store)
    reason = TurnOffReasonFactory(dealership=None, code=f"ASK{seed}", applies_to_contact_method=True)
    model = Model(rng=rng, numbers=[f"RT{seed}{i:02d}" for i in range(6)])
    for number in model.numbers:
        model.dms[number] = _initial_record(model, number)
    today = timezone.localdate()
    day = today - timedelta(days=10)
    model.sent = {number: {} for number in model.numbers}
    for night in range(5):
        day += timedelta(days=1)
        if night:
            _coordinator_day(model, actor, reason)
            if night == 2:
                _merge_with_fill(model, actor)
            for number in model.numbers:
                _dms_changes(model, number, today)
        _write_night(model, root, file_store.code, day.strftime("%Y%m%d"))
        before = _values(file_store)
        for number in model.numbers:
            before.setdefault(number, dict.fromkeys(FIELDS, ""))
        run = _pull(
            file_store, root, batch_size=rng.choice([1, 2, 3, 5, 500]), process=rng.random() < 0.3, settings=settings
        )
        if night:
            _check(model, file_store, before, run)
        else:
            model.sent = {
                n: {
                    **{f: normalized(f, model.dms[n][f]) for f in FIELDS},
                    **{flag: model.dms[n][flag] for flag in FLAG_OF.values()},
                }
                for n in model.numbers
            }
        # The same folder again, another page size and reader: nothing changes, no history is written.
        snapshot = _snapshot(file_store)
        _pull(file_store, root, batch_size=rng.choice([1, 2, 4, 500]), process=rng.random() < 0.3, settings=settings)
        assert _snapshot(file_store) == snapshot
