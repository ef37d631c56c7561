"""Who wins, field by field (DESIGN §6, the three-way merge), as properties of the pure rules in
dms_sync.precedence and of the edit stamp in customers.edits.

The expected outcome is computed here from the design's own words, not from the code: the DMS's new value is
applied when it changed the field since the value it last sent (the base) and no person changed it; a field
the DMS did not change keeps the value on file; when both changed it, the later change wins (the row's
last_change_date, a day in the store's time zone, against the day of the person's edit), and the history says
so. No value is "" or None alike.
"""

from datetime import UTC, date, datetime, time, timedelta
from datetime import timezone as fixed_offset
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from customers.audit import Change, Conflict
from customers.edits import person_edits_stamp
from customers.fields import DMS_FIELDS, EDIT_FIELDS
from dms_sync.precedence import NO_ENTRY, dms_is_later, field_decide, flag_base_entry, flag_changed

DETROIT = ZoneInfo("America/Detroit")
# Zones whose clocks never jump across midnight (DST, where there is any, changes at 2 or 3 a.m.), so a local
# time given with its zone names one local day whichever way it is written.
ZONES = [
    ZoneInfo(name)
    for name in (
        "America/Detroit",
        "America/Vancouver",
        "America/Toronto",
        "UTC",
        "Asia/Kolkata",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
    )
]

# A small pool so that new, current and base often coincide; None and "" both mean no value.
VALUES = st.sampled_from([None, "", "Smith", "Smyth", "Smithe"])
TEXT_VALUES = st.sampled_from(["", "Smith", "Smyth", "Smithe"])
DAY = date(2026, 11, 2)
EDIT_TIMES = st.integers(-3 * 24 * 60, 3 * 24 * 60).map(
    lambda minutes: datetime.combine(DAY, time(12), tzinfo=UTC) + timedelta(minutes=minutes)
)
ROW_DATES = st.one_of(st.none(), st.integers(-3, 3).map(lambda days: DAY + timedelta(days=days)))
DMS_FIELD_NAMES = st.sampled_from(sorted(DMS_FIELDS))
NON_DMS_FIELD_NAMES = st.sampled_from(sorted(set(EDIT_FIELDS) - DMS_FIELDS))


# --- DESIGN §6, stated independently ------------------------------------------------------------------------


def no_value_alike(value):
    return "" if value is None else value


def expected_dms_is_later(row_date: date | None, edit_day: date | None) -> bool:
    """The DMS's change is later than a person's edit: its day is after the day of the edit. A person's edit
    on that day or after wins, and so does one against a row with no date; no known edit, the DMS wins."""
    if edit_day is None:
        return True
    if row_date is None:
        return False
    return edit_day < row_date


def expected_decision(*, new, current, has_base, base, edit_day, row_date):
    """(applied, conflict, the field's base entry after the row)."""
    last_sent = base if has_base else current  # no entry: the value on file is what the DMS last sent
    if no_value_alike(new) == no_value_alike(last_sent):
        return False, "", (base if has_base else NO_ENTRY)  # the DMS did not change it
    if not has_base:
        return True, "", NO_ENTRY  # only the DMS changed it
    if no_value_alike(new) == no_value_alike(current):
        return False, "", NO_ENTRY  # both changed it, the same way: nothing left to protect
    if expected_dms_is_later(row_date, edit_day):
        return True, Conflict.DMS, NO_ENTRY
    return False, Conflict.PERSON, new  # the person's value stays; what the DMS sent is the new base


def as_tuple(decision):
    return decision.apply, decision.conflict, decision.base


def decide(*, new, current, has_base, base, edited_at, row_date, tz=DETROIT):
    return field_decide(
        new=new,
        current=current,
        has_base=has_base,
        base=base,
        edited_at=None if edited_at is None else edited_at.isoformat(),
        row_date=row_date,
        tz=tz,
    )


def edit_day(edited_at: datetime | None, tz=DETROIT) -> date | None:
    return None if edited_at is None else edited_at.astimezone(tz).date()


# --- dms_is_later --------------------------------------------------------------------------------------------


@st.composite
def edit_written_somehow(draw):
    """(local day of the edit, the edit as the stamp may hold it, the store's zone): naive (the store's local
    time), aware in the store's zone, in UTC or at another offset; as a datetime or as ISO text."""
    tz = draw(st.sampled_from(ZONES))
    local = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31)))
    form = draw(st.sampled_from(["naive", "local", "utc", "offset"]))
    if form == "naive":
        written = local
    else:
        aware = local.replace(tzinfo=tz)
        if form == "utc":
            aware = aware.astimezone(UTC)
        elif form == "offset":
            hours = draw(st.integers(-12, 14))
            aware = aware.astimezone(fixed_offset(timedelta(hours=hours)))
        written = aware
    if draw(st.booleans()):
        written = written.isoformat()
    # A local time in a DST gap moves by an hour, never across midnight in these zones.
    return local.date(), written, tz


@settings(max_examples=400, deadline=None)
@given(edit_written_somehow(), st.one_of(st.none(), st.integers(-2, 2)))
def test_the_dms_is_later_only_when_its_day_is_after_the_local_day_of_the_edit(edit, days_after):
    day, written, tz = edit
    row_date = None if days_after is None else day + timedelta(days=days_after)
    assert dms_is_later(row_date, written, tz) is expected_dms_is_later(row_date, day)


@pytest.mark.parametrize("row_date", [None, date(2026, 11, 2), date(1990, 1, 1)])
def test_without_a_known_edit_time_the_dms_is_later(row_date):
    assert dms_is_later(row_date, None, DETROIT) is True
    assert dms_is_later(row_date, "not a time", DETROIT) is True


@pytest.mark.parametrize(
    ("edited_at", "dms_later"),
    [
        # 2026-11-02 00:00 in Detroit (EST, -05:00) is 05:00 UTC: the UTC day alone would get these wrong.
        ("2026-11-02T04:59:59.999999+00:00", True),
        ("2026-11-02T05:00:00+00:00", False),
        ("2026-11-02T23:59:59-05:00", False),
        ("2026-11-03T04:59:59+00:00", False),
        ("2026-11-01T23:59:59.999999", True),  # naive: the store's local time
        ("2026-11-02T00:00:00", False),
    ],
)
def test_an_edit_on_the_rows_day_in_the_stores_zone_wins_one_the_day_before_loses(edited_at, dms_later):
    assert dms_is_later(date(2026, 11, 2), edited_at, DETROIT) is dms_later
    assert dms_is_later(date(2026, 11, 2), datetime.fromisoformat(edited_at), DETROIT) is dms_later


def test_an_edit_against_a_row_without_a_date_wins():
    assert dms_is_later(None, "1990-01-01T00:00:00+00:00", DETROIT) is False
    assert dms_is_later(None, datetime(1990, 1, 1), DETROIT) is False


# --- field_decide --------------------------------------------------------------------------------------------


@settings(max_examples=600, deadline=None)
@given(
    new=VALUES,
    current=VALUES,
    has_base=st.booleans(),
    base=VALUES,
    edited_at=st.one_of(st.none(), EDIT_TIMES),
    row_date=ROW_DATES,
)
def test_the_decision_is_the_three_way_merge_of_design_section_6(new, current, has_base, base, edited_at, row_date):
    decision = decide(new=new, current=current, has_base=has_base, base=base, edited_at=edited_at, row_date=row_date)
    assert as_tuple(decision) == expected_decision(
        new=new, current=current, has_base=has_base, base=base, edit_day=edit_day(edited_at), row_date=row_date
    )


@settings(max_examples=300, deadline=None)
@given(current=VALUES, base=VALUES, edited_at=st.one_of(st.none(), EDIT_TIMES), row_date=ROW_DATES)
def test_a_value_the_dms_did_not_change_is_never_applied_however_new_the_row(current, base, edited_at, row_date):
    for new in {base, no_value_alike(base), None if base == "" else base}:
        decision = decide(new=new, current=current, has_base=True, base=base, edited_at=edited_at, row_date=row_date)
        assert not decision.apply and decision.conflict == ""
        assert decision.base == base  # the person's value is still protected


@settings(max_examples=300, deadline=None)
@given(new=VALUES, current=VALUES, edited_at=st.one_of(st.none(), EDIT_TIMES), row_date=ROW_DATES)
def test_without_a_base_entry_a_different_value_is_applied_and_an_equal_one_is_not(new, current, edited_at, row_date):
    # No entry: no person's value differs from what the DMS last sent, whatever user_edited_at says.
    decision = decide(new=new, current=current, has_base=False, base=None, edited_at=edited_at, row_date=row_date)
    assert decision.apply is (no_value_alike(new) != no_value_alike(current))
    assert decision.conflict == "" and decision.base is NO_ENTRY


@settings(max_examples=300, deadline=None)
@given(value=VALUES, base=VALUES, edited_at=st.one_of(st.none(), EDIT_TIMES), row_date=ROW_DATES)
def test_both_changed_to_the_same_value_is_not_applied_and_the_entry_goes(value, base, edited_at, row_date):
    assume(no_value_alike(value) != no_value_alike(base))
    for new, current in ((value, value), (no_value_alike(value), value), (value, no_value_alike(value))):
        decision = decide(new=new, current=current, has_base=True, base=base, edited_at=edited_at, row_date=row_date)
        assert (decision.apply, decision.conflict, decision.base) == (False, "", NO_ENTRY)


@settings(max_examples=300, deadline=None)
@given(new=VALUES, current=VALUES, base=VALUES, edited_at=EDIT_TIMES, days_later=st.integers(0, 3))
def test_both_changed_a_person_who_edited_on_or_after_the_rows_day_keeps_theirs(
    new, current, base, edited_at, days_later
):
    assume(len({no_value_alike(new), no_value_alike(current), no_value_alike(base)}) == 3)
    row_date = edit_day(edited_at) - timedelta(days=days_later)
    decision = decide(new=new, current=current, has_base=True, base=base, edited_at=edited_at, row_date=row_date)
    assert not decision.apply
    assert decision.conflict == Conflict.PERSON
    assert decision.base == new  # the same row is not news the next night


@settings(max_examples=300, deadline=None)
@given(new=VALUES, current=VALUES, base=VALUES, edited_at=EDIT_TIMES, days_later=st.integers(1, 3))
def test_both_changed_a_person_who_edited_before_the_rows_day_loses_to_the_dms(
    new, current, base, edited_at, days_later
):
    assume(len({no_value_alike(new), no_value_alike(current), no_value_alike(base)}) == 3)
    row_date = edit_day(edited_at) + timedelta(days=days_later)
    decision = decide(new=new, current=current, has_base=True, base=base, edited_at=edited_at, row_date=row_date)
    assert decision.apply
    assert decision.conflict == Conflict.DMS
    assert decision.base is NO_ENTRY  # applied: the value on file is the DMS's again


@settings(max_examples=300, deadline=None)
@given(new=VALUES, current=VALUES, base=VALUES, edited_at=EDIT_TIMES)
def test_both_changed_against_a_row_without_a_date_the_person_wins(new, current, base, edited_at):
    assume(len({no_value_alike(new), no_value_alike(current), no_value_alike(base)}) == 3)
    decision = decide(new=new, current=current, has_base=True, base=base, edited_at=edited_at, row_date=None)
    assert (decision.apply, decision.conflict, decision.base) == (False, Conflict.PERSON, new)


@settings(max_examples=300, deadline=None)
@given(
    new=VALUES,
    current=VALUES,
    has_base=st.booleans(),
    base=VALUES,
    edited_at=st.one_of(st.none(), EDIT_TIMES),
    row_date=ROW_DATES,
    swap=st.sampled_from(["new", "current", "base"]),
)
def test_no_value_and_empty_text_decide_alike(new, current, has_base, base, edited_at, row_date, swap):
    values = {"new": new, "current": current, "base": base}
    swapped = dict(values)
    swapped[swap] = {None: "", "": None}.get(values[swap], values[swap])
    first = decide(**values, has_base=has_base, edited_at=edited_at, row_date=row_date)
    second = decide(**swapped, has_base=has_base, edited_at=edited_at, row_date=row_date)
    assert (first.apply, first.conflict) == (second.apply, second.conflict)
    assert (first.base is NO_ENTRY) == (second.base is NO_ENTRY)


@settings(max_examples=300, deadline=None)
@given(
    new=VALUES,
    current=VALUES,
    has_base=st.booleans(),
    base=VALUES,
    edited_at=st.one_of(st.none(), EDIT_TIMES),
    row_date=ROW_DATES,
)
def test_the_same_row_the_next_night_is_not_news(new, current, has_base, base, edited_at, row_date):
    first = decide(new=new, current=current, has_base=has_base, base=base, edited_at=edited_at, row_date=row_date)
    current = new if first.apply else current
    again = decide(
        new=new,
        current=current,
        has_base=first.base is not NO_ENTRY,
        base=None if first.base is NO_ENTRY else first.base,
        edited_at=edited_at,
        row_date=row_date,
    )
    assert not again.apply and again.conflict == ""


# --- allow_* flags -------------------------------------------------------------------------------------------


@given(history=st.lists(st.booleans(), min_size=1, max_size=8))
def test_a_flag_is_changed_only_when_the_dms_sends_another_flag_than_it_last_sent(history):
    last_sent = True  # no entry: the DMS's last flag was Y (a new file's methods are on)
    entry = None
    for sent in history:
        assert flag_changed(sent=sent, base_entry=entry) is (sent != last_sent)
        remembered = flag_base_entry(sent)
        entry = None if remembered is NO_ENTRY else remembered
        last_sent = sent


def test_only_n_is_remembered_as_a_flags_base_entry():
    assert flag_base_entry(False) is False
    assert flag_base_entry(True) is NO_ENTRY
    assert flag_changed(sent=True, base_entry=False) and flag_changed(sent=False, base_entry=None)
    assert not flag_changed(sent=True, base_entry=None) and not flag_changed(sent=False, base_entry=False)


# --- the compact base over a field's whole life --------------------------------------------------------------

PERSON, DMS = "person", "dms"
EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just(PERSON), TEXT_VALUES, EDIT_TIMES),
        st.tuples(st.just(DMS), TEXT_VALUES, ROW_DATES),
    ),
    max_size=12,
)


@settings(max_examples=500, deadline=None)
@given(first=TEXT_VALUES, events=EVENTS)
def test_the_compact_base_decides_like_a_full_record_of_what_the_dms_last_sent(first, events):
    """A customer loaded from the DMS, then person edits (through the stamp every service calls) and DMS rows
    (through field_decide) in any order. The customer keeps only `dms_base` entries; a full model remembers
    every value the DMS last sent. Both must agree on every decision and on the value on file, and an entry
    must exist exactly while the person's value differs from what the DMS last sent."""
    field = "last_name"
    customer = SimpleNamespace(dms_number="D000001", user_edited_at={}, dms_base={}, last_name=first)
    # The full model.
    current, last_sent, last_edit = first, first, None
    for kind, value, when in events:
        if kind == PERSON:
            if value == current:
                continue  # the services record no change, and stamp nothing
            person_edits_stamp(customer, [Change(field, customer.last_name, value)], now=when)
            customer.last_name = value
            current, last_edit = value, when
        else:
            has_base = field in customer.dms_base
            decision = field_decide(
                new=value,
                current=customer.last_name,
                has_base=has_base,
                base=customer.dms_base.get(field),
                edited_at=customer.user_edited_at.get(field),
                row_date=when,
                tz=DETROIT,
            )
            # The full model: only a value the DMS changed is news; then an untouched field follows it, a
            # field both changed goes to the later change.
            applied, conflict = False, ""
            if value != last_sent:
                if current == last_sent:
                    applied = True
                elif value != current:
                    if expected_dms_is_later(when, edit_day(last_edit)):
                        applied, conflict = True, Conflict.DMS
                    else:
                        conflict = Conflict.PERSON
            assert (decision.apply, decision.conflict) == (applied, conflict)
            if decision.apply:
                customer.last_name = value
            if decision.base is NO_ENTRY:
                customer.dms_base.pop(field, None)
            else:
                customer.dms_base[field] = decision.base
            if applied:
                current = value
            last_sent = value
        assert customer.last_name == current
        if current == last_sent:
            assert field not in customer.dms_base
        else:
            assert customer.dms_base.get(field, "missing") == last_sent


# --- the edit stamp ------------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


def unsaved_customer(dms_number="D000001", **values):
    return SimpleNamespace(dms_number=dms_number, user_edited_at={}, dms_base={}, **values)


@settings(max_examples=300, deadline=None)
@given(field=DMS_FIELD_NAMES, original=VALUES, edited=VALUES)
def test_an_edit_then_an_edit_back_to_the_original_value_leaves_no_base_entry(field, original, edited):
    customer = unsaved_customer()
    person_edits_stamp(customer, [Change(field, original, edited)], now=NOW)
    if no_value_alike(original) == no_value_alike(edited):
        assert field not in customer.dms_base
    else:
        assert customer.dms_base == {field: original}  # the value it had: the DMS's
    later = NOW + timedelta(hours=1)
    person_edits_stamp(customer, [Change(field, edited, original)], now=later)
    assert field not in customer.dms_base
    assert customer.user_edited_at[field] == later.isoformat()


@settings(max_examples=200, deadline=None)
@given(field=DMS_FIELD_NAMES, values=st.lists(VALUES, min_size=2, max_size=6))
def test_a_field_edited_many_times_keeps_the_value_it_had_before_the_first_edit_as_its_base(field, values):
    customer = unsaved_customer()
    for old, new in zip(values, values[1:], strict=False):
        person_edits_stamp(customer, [Change(field, old, new)], now=NOW)
    if no_value_alike(values[0]) == no_value_alike(values[-1]):
        assert field not in customer.dms_base
    else:
        assert no_value_alike(customer.dms_base[field]) == no_value_alike(values[0])


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(st.tuples(DMS_FIELD_NAMES, VALUES, VALUES), min_size=1, max_size=6),
    dms_number=st.sampled_from(["", None]),
)
def test_a_customer_without_a_dms_number_gets_no_base_entries(changes, dms_number):
    customer = unsaved_customer(dms_number=dms_number)
    person_edits_stamp(customer, [Change(field, old, new) for field, old, new in changes], now=NOW)
    assert customer.dms_base == {}
    assert customer.user_edited_at == {field: NOW.isoformat() for field, _old, _new in changes}


@settings(max_examples=100, deadline=None)
@given(field=NON_DMS_FIELD_NAMES, old=VALUES, new=VALUES)
def test_a_field_the_dms_does_not_send_gets_no_base_entry(field, old, new):
    customer = unsaved_customer()
    person_edits_stamp(customer, [Change(field, old, new)], now=NOW)
    assert customer.dms_base == {}
    assert customer.user_edited_at == {field: NOW.isoformat()}
