#!/usr/bin/env python
"""`make screenshots`: PNGs of the main screens in English and French, and a few variants, in docs/screenshots/

Loads the demo data into a throwaway SQLite database (never your db.sqlite3), adds a little showcase data
that the demo does not generate (a merge family, duplicate files to merge, DMS remove requests, an inquiry) to
that throwaway database only, serves it with `runserver` on a free loopback port and captures each screen at
1280x800 with Playwright driving the system Chromium (/usr/bin/chromium), signed in as `coordinator`.

Each main screen (MAIN_SCREENS) is captured twice: in English as NAME.png and in Canadian French as
NAME-fr.png. The language comes from the browser (Accept-Language en-US or fr-CA, as a new user's does); the
coordinator's saved language choice is never touched. The variants (tooltip, narrow, the other profiles, sales)
are English only. The French catalogue must be compiled first (`make screenshots` does it).

Usage: python scripts/screenshots.py [--out docs/screenshots] [--customers-per-store 300] [--keep-db]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import CHROMIUM_ARGS  # noqa: E402 (needs the project root on the path)
from tests.support.browser import CHROMIUM_PATH as CHROMIUM  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}
# The browser's language for each pass, and the file name suffix of its screens.
LANGUAGES = [("en", "en-US", ""), ("fr-ca", "fr-CA", "-fr")]
# Captured in every language (English without a suffix, French with -fr); the README shows each pair.
MAIN_SCREENS = [
    "login",
    "profile-ca-reynolds-showroom",
    "customer-information",
    "new-customer",
    "new-customer-identity-check",
    "search-results",
    "call-select",
    "contact-history",
    "merge",
    "bounce-report",
]
# English only.
VARIANTS = [
    "profile-tooltip",
    "profile-us",
    "profile-prospect",
    "profile-inactive",
    "profile-narrow",
    "sales-breakdown",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def pick_and_stage() -> dict:
    """Choose representative demo customers and add showcase rows. Runs inside the throwaway database."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from contacts.models import ContactMethod, EmailBounce, EmailConsent
    from customers.demo_work import DEMO_NOW
    from customers.models import (
        Association,
        ContactMethodKind,
        Customer,
        CustomerKind,
        CustomerStatus,
        DayNight,
        Inquiry,
        Relationship,
        TurnOffReason,
        VerificationStamp,
    )
    from dms_sync.models import RemoveRequest, RemoveStatus, SuppressedField

    coordinator = get_user_model().objects.get(username="coordinator")
    people = Customer.objects.filter(kind=CustomerKind.PERSON, status=CustomerStatus.ACTIVE).annotate(
        n_vehicles=Count("vehicles", distinct=True), n_assoc=Count("associations_from", distinct=True)
    )
    bounced = EmailBounce.objects.values_list("email", flat=True)

    # A Canadian Reynolds customer of the Showroom/Equity store with as much on the file as the demo offers.
    ca = (
        people.filter(
            dealership__code="maple-ridge", likely_to_buy__isnull=False, email1__in=bounced, n_vehicles__gte=2
        )
        .exclude(email1="")
        .order_by("-n_assoc", "-star_rating", "pk")
        .first()
    )
    ca.preferred_contact_method = ContactMethodKind.CELL_PHONE
    ca.day_night = DayNight.DAY
    ca.eservice_registered = True
    ca.star_rating = 8
    ca.likely_to_buy = 3
    ca.address_to = f"Mr. & Mrs. {ca.last_name}"
    ca.twitter_handle = ca.twitter_handle or f"{ca.first_name}{ca.pk % 97}".lower()[:15]
    ca.save()
    # The red email: a bounce last week, and the last verification before it.
    EmailBounce.objects.create(
        dealership=ca.dealership, email=ca.email1, bounced_at=DEMO_NOW - timedelta(days=6), campaign="Winter tire promo"
    )
    VerificationStamp.objects.filter(customer=ca).delete()
    VerificationStamp.objects.create(customer=ca, verified_by=coordinator, verified_at=DEMO_NOW - timedelta(days=75))
    EmailConsent.objects.update_or_create(
        customer=ca,
        email=ca.email1,
        defaults={"basis": "implied_purchase", "obtained_at": DEMO_NOW - timedelta(days=900), "opted_out_at": None},
    )
    Inquiry.objects.create(customer=ca, user=coordinator, created_at=DEMO_NOW - timedelta(hours=3))
    # A merged family: two duplicate files of the same person the DMS still sends.
    for i, rel in enumerate([Relationship.DUPLICATE, Relationship.SPOUSE]):
        other = (
            Customer.objects.filter(dealership=ca.dealership, kind=CustomerKind.PERSON, merge_parent__isnull=True)
            .exclude(pk=ca.pk)
            .exclude(merge_children__isnull=False)
            .order_by("-pk")[i]
        )
        Customer.objects.filter(pk=other.pk).update(merge_parent=ca, merge_relationship=rel, merged_at=DEMO_NOW)
    if not Association.objects.filter(Q(from_customer=ca) | Q(to_customer=ca)).exists():
        friend = Customer.objects.filter(dealership=ca.dealership, kind=CustomerKind.PERSON).exclude(pk=ca.pk).first()
        Association.objects.create(from_customer=ca, to_customer=friend, relationship=Relationship.FRIEND)
    ContactMethod.objects.update_or_create(
        customer=ca,
        method=ContactMethodKind.WORK_PHONE,
        defaults={"is_on": False, "reason": TurnOffReason.objects.get(code="WRONGNUM"), "changed_by": coordinator},
    )
    RemoveRequest.objects.create(
        dealership=ca.dealership,
        customer=ca,
        dms_number=ca.dms_number,
        field=SuppressedField.HOME_PHONE,
        value="+14165550188",
        requested_by=coordinator,
        requested_at=DEMO_NOW - timedelta(hours=2),
        status=RemoveStatus.PENDING,
    )

    us = (
        people.filter(dealership__code="lakeside", n_vehicles__gte=1)
        .exclude(email1="")
        .filter(contact_methods__is_on=False)
        .order_by("-n_vehicles", "pk")
        .first()
    ) or people.filter(dealership__code="lakeside").order_by("-n_vehicles", "pk").first()
    # The star goes on a method that is on (the services never let a preference point at a red X).
    off = set(us.contact_methods.filter(is_on=False).values_list("method", flat=True))
    us.preferred_contact_method = next(
        m for m in (ContactMethodKind.EMAIL, ContactMethodKind.HOME_PHONE, ContactMethodKind.MAIL) if m not in off
    )
    us.day_night = DayNight.NIGHT
    us.save(update_fields=["preferred_contact_method", "day_night"])

    prospect = (
        Customer.objects.filter(kind=CustomerKind.PROSPECT, dealership__code="maple-ridge")
        .exclude(email1="")
        .order_by("-star_rating", "pk")
        .first()
    )
    if prospect.email1:
        EmailConsent.objects.update_or_create(
            customer=prospect,
            email=prospect.email1,
            defaults={
                "basis": "implied_inquiry",
                "obtained_at": DEMO_NOW - timedelta(days=60),
                "opted_out_at": DEMO_NOW - timedelta(days=4),
            },
        )
    inactive = (
        Customer.objects.filter(status=CustomerStatus.INACTIVE, dealership__code="lakeside")
        .annotate(n=Count("vehicles"))
        .order_by("-n", "pk")
        .first()
    )
    # Duplicate files for the Merge screen (not the profile's customer): the DMS sent the same person twice
    # (same cell phone, name and postal code) and a spouse shares the email.
    free = (
        people.filter(dealership=ca.dealership, merge_parent__isnull=True, merge_children__isnull=True)
        .exclude(pk=ca.pk)
        .exclude(cell_phone="")
        .exclude(email1="")
        .order_by("-pk")
    )
    keeper, twin, spouse = free[0], free[1], free[2]
    Customer.objects.filter(pk=twin.pk).update(
        first_name=keeper.first_name,
        last_name=keeper.last_name,
        cell_phone=keeper.cell_phone,
        postal_code=keeper.postal_code,
        city=keeper.city,
        email1="",
    )
    Customer.objects.filter(pk=spouse.pk).update(last_name=keeper.last_name, email1=keeper.email1)
    bounces = EmailBounce.objects.filter(dealership=ca.dealership).order_by("bounced_at")
    return {
        "profiles": {
            "profile-ca-reynolds-showroom": ca.pk,
            "profile-us": us.pk,
            "profile-prospect": prospect.pk,
            "profile-inactive": inactive.pk,
        },
        "merge": {"parent": keeper.pk, "duplicate": twin.pk, "spouse": spouse.pk},
        "search": keeper.last_name,
        "bounces": {
            "dealership": ca.dealership_id,
            "date_from": f"{bounces.first().bounced_at:%Y-%m-%d}",
            "date_to": f"{bounces.last().bounced_at:%Y-%m-%d}",
        },
    }


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The server at {url} did not come up.")


def shot(page, out: Path, name: str, **kwargs) -> Path:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), **kwargs)
    return path


def goto(page, url: str, language: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    shown = page.get_attribute("html", "lang")
    if shown != language:
        raise SystemExit(f"{url} is in {shown!r}, expected {language!r} (is the French catalogue compiled?)")


def capture(base: str, staged: dict, out: Path, new_customer: dict) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for language, locale, suffix in LANGUAGES:
            # A fresh context per language: its own cookies and session, and the browser's Accept-Language.
            # (Date fields keep Chromium's mm/dd/yyyy: Debian's chromium ships the en-US locale files only.)
            context = browser.new_context(viewport=VIEWPORT, locale=locale)
            page = context.new_page()
            written += capture_main(page, base, out, staged, new_customer, language, suffix)
            if not suffix:
                written += capture_variants(page, base, out, staged, language)
            context.close()
        browser.close()
    return written


def capture_main(page, base: str, out: Path, staged: dict, new_customer: dict, language: str, suffix: str):
    """The main screens in the browser's language, each saved as NAME{suffix}.png."""
    written = []
    goto(page, f"{base}/login/", language)
    written.append(shot(page, out, f"login{suffix}"))
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", "coordinator")
    page.click("main form button[type=submit]")  # not the nav's language switch
    page.wait_for_load_state("networkidle")
    ca = staged["profiles"]["profile-ca-reynolds-showroom"]
    goto(page, f"{base}/customers/{ca}/", language)
    written.append(shot(page, out, f"profile-ca-reynolds-showroom{suffix}"))
    goto(page, f"{base}/customers/{ca}/edit/", language)
    written.append(shot(page, out, f"customer-information{suffix}"))
    written += capture_new_customer(page, base, out, new_customer, language, suffix)
    goto(page, f"{base}/customers/search/?q={staged['search']}", language)
    written.append(shot(page, out, f"search-results{suffix}"))
    written += capture_contacts(page, base, out, new_customer["contacted"], language, suffix)
    merge = staged["merge"]
    goto(page, f"{base}/customers/{merge['parent']}/merge/?children={merge['duplicate']}", language)
    page.check(f"#child-{merge['spouse']}")
    page.select_option(f"#rel-{merge['spouse']}", "spouse")
    page.evaluate("document.activeElement.blur()")
    written.append(shot(page, out, f"merge{suffix}"))
    b = staged["bounces"]
    goto(
        page,
        f"{base}/reports/bounces/?dealership={b['dealership']}&date_from={b['date_from']}&date_to={b['date_to']}",
        language,
    )
    written.append(shot(page, out, f"bounce-report{suffix}"))
    return written


def capture_variants(page, base: str, out: Path, staged: dict, language: str) -> list[Path]:
    """English only: the preferred-method tooltip, the other kinds of profile, a phone-width profile, Sales."""
    written = []
    profiles = staged["profiles"]
    ca = profiles["profile-ca-reynolds-showroom"]
    goto(page, f"{base}/customers/{ca}/", language)
    page.hover("[data-dm=preferred-star]")
    page.wait_for_selector(".tooltip.show")
    page.wait_for_timeout(400)  # let the fade-in finish
    written.append(shot(page, out, "profile-tooltip", clip={"x": 0, "y": 60, "width": 860, "height": 560}))
    page.mouse.move(0, 0)
    for name in ("profile-us", "profile-prospect", "profile-inactive"):
        goto(page, f"{base}/customers/{profiles[name]}/", language)
        written.append(shot(page, out, name))
    page.set_viewport_size(NARROW)
    goto(page, f"{base}/customers/{ca}/", language)
    written.append(shot(page, out, "profile-narrow", full_page=True))
    page.set_viewport_size(VIEWPORT)
    goto(page, f"{base}/customers/{ca}/sales/", language)
    written.append(shot(page, out, "sales-breakdown"))
    return written


def new_customer_example() -> dict:
    """A demo customer whose phone and name the New customer shots type again (read before Playwright starts)."""
    from django.db.models import Count

    from customers.models import Customer

    existing = (
        Customer.objects.filter(dealership__code="maple-ridge", merge_parent__isnull=True)
        .exclude(cell_phone="")
        .exclude(first_name="")
        .order_by("pk")
        .first()
    )
    contacted = (
        Customer.objects.filter(dealership__code="maple-ridge", merge_parent__isnull=True)
        .annotate(logged=Count("contact_logs"))
        .order_by("-logged", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return {
        "cell_phone": existing.cell_phone,
        "first_name": existing.first_name,
        "last_name": existing.last_name,
        "contacted": contacted,
    }


def capture_contacts(page, base: str, out: Path, contacted: int, language: str, suffix: str) -> list[Path]:
    """Call Select as a work list (today's list of the first store, why each is due, local time, log a call) and
    a customer's Contact History."""
    written = []
    goto(page, f"{base}/call-select/", language)
    page.click("main form.dm-no-print button[type=submit]")  # Select (Sélectionner)
    page.wait_for_load_state("networkidle")
    written.append(shot(page, out, f"call-select{suffix}"))
    goto(page, f"{base}/customers/{contacted}/contacts/", language)
    written.append(shot(page, out, f"contact-history{suffix}"))
    return written


def capture_new_customer(page, base: str, out: Path, existing: dict, language: str, suffix: str) -> list[Path]:
    """New customer: the form pre-filled from a search that found nobody, then the identity check stopping a
    second file with the phone of a demo customer (the throwaway database only)."""
    written = []
    goto(page, f"{base}/customers/new/?q=416-555-0177", language)
    if page.locator("#store-step").count():
        page.get_by_label("Maple Ridge Toyota").check()
        page.click("#store-continue")
    page.wait_for_selector("#customer-form")
    page.check("input[name=kind][value=prospect]")
    page.fill("#id_first_name", "Nora")
    page.fill("#id_last_name", "Newcomer")
    page.fill("#id_address1", "1 Blue Jays Way")
    page.fill("#id_postal_code", "m5v-3l9")
    page.press("#id_postal_code", "Tab")
    page.wait_for_selector("#identity-clear")
    page.wait_for_timeout(300)
    written.append(shot(page, out, f"new-customer{suffix}", full_page=True))
    page.fill("#id_cell_phone", existing["cell_phone"])
    page.fill("#id_first_name", existing["first_name"])
    page.fill("#id_last_name", existing["last_name"])
    page.click("#save-button")
    page.wait_for_selector("#identity-alert")
    page.locator("#identity-check").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    written.append(shot(page, out, f"new-customer-identity-check{suffix}"))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--customers-per-store", type=int, default=300)
    parser.add_argument("--keep-db", action="store_true", help="Keep the throwaway database (path is printed).")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: run scripts/ensure-browser.sh first.")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="dm-screens-"))
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp / 'screens.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "dealermine.settings.local",
        "CELERY_BROKER_URL": "",
        "DEBUG": "true",
        "DMS_DROP_ROOT": str(tmp / "drop"),
        "DMS_OUTBOX_ROOT": str(tmp / "outbox"),
    }
    server = None
    try:
        manage("migrate", "--noinput", "-v0", env=env)
        manage("load_demo", "--customers-per-store", str(args.customers_per_store), env=env)
        os.environ.update(env)
        staged = pick_and_stage()
        port = free_port()
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/login/")
        written = capture(base, staged, out, new_customer_example())
        for path in written:
            print(f"  wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        expected = {f"{name}{suffix}.png" for name in MAIN_SCREENS for _, _, suffix in LANGUAGES}
        missing = (expected | {f"{name}.png" for name in VARIANTS}) - {path.name for path in written}
        if missing:
            raise SystemExit(f"Not captured: {', '.join(sorted(missing))}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if args.keep_db:
            print(f"  database kept at {tmp / 'screens.sqlite3'}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
