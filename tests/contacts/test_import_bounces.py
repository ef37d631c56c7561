from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from contacts.models import BounceSource, EmailBounce
from tests.customers.factories import DealershipFactory

GOOD = (
    "\ufeffEmail,Bounced_At,Campaign,Reason\r\n"
    "Ann@Mail.Example.com,2026-11-01T10:00:00Z,Oil change,550 no such user\r\n"
    "bob@mail.example.com,2026-11-01 11:30:00,Oil change,\r\n"
    "\r\n"
    "not-an-email,2026-11-01T10:00:00Z,Oil change,x\r\n"
    "carl@mail.example.com,someday,Recall,\r\n"
    "ann@mail.example.com,2026-11-03,Winter tires,mailbox full\r\n"
)


@pytest.fixture
def store(db):
    return DealershipFactory(code="lakeside")


def run(path, code="lakeside"):
    out, err = StringIO(), StringIO()
    call_command("import_bounces", "--dealership", code, str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_stores_good_rows_reports_bad_lines_and_summarises(store, tmp_path):
    path = tmp_path / "bounces.csv"
    path.write_text(GOOD, encoding="utf-8")
    out, err = run(path)
    assert "5 rows, 3 stored, 0 already imported, 2 rejected" in out
    assert "line 5: email:" in err
    assert "line 6: bounced_at:" in err
    rows = EmailBounce.objects.filter(dealership=store).order_by("bounced_at")
    assert [(b.email, b.campaign, b.source) for b in rows] == [
        ("ann@mail.example.com", "Oil change", BounceSource.IMPORT),
        ("bob@mail.example.com", "Oil change", BounceSource.IMPORT),
        ("ann@mail.example.com", "Winter tires", BounceSource.IMPORT),
    ]
    assert all(b.provider_event_id.startswith("csv-") for b in rows)


def test_reimporting_the_same_report_stores_nothing_new(store, tmp_path):
    path = tmp_path / "bounces.csv"
    path.write_text(GOOD, encoding="utf-8")
    run(path)
    out, _ = run(path)
    assert "3 already imported" in out and "0 stored" in out
    assert EmailBounce.objects.count() == 3


def test_an_id_column_is_used_when_present(store, tmp_path):
    path = tmp_path / "with-ids.csv"
    path.write_text("id,email,bounced_at,campaign,reason,type\nP-1,a@x.example.com,2026-11-01,C,,soft\n")
    run(path)
    bounce = EmailBounce.objects.get()
    assert (bounce.provider_event_id, bounce.kind) == ("P-1", "soft")


def test_unknown_store_missing_file_and_missing_columns_fail(store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("address,when\na@x.example.com,2026-11-01\n")
    with pytest.raises(CommandError, match="Missing column"):
        run(path)
    with pytest.raises(CommandError, match="No dealership"):
        run(path, code="nowhere")
    with pytest.raises(CommandError, match="File not found"):
        run(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="no header"):
        run(empty)
    assert EmailBounce.objects.count() == 0
