"""python manage.py run_fake_dms --dealership CODE: serve a fake DMS HTTP API on loopback for the demo.

The server is the one the tests use (tests/support/fake_dms.py). With --configure the store is switched to
the HTTP API adapter pointing at it, so `manage.py dms_pull --dealership CODE` and remove requests go there.
With --misbehave (repeatable) it shows how the adapter copes with a DMS that misbehaves (docs/DMS_SYNC.md).
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from customers.models import Dealership, DmsAdapter
from dealermine.paths import store_code_argument
from dms_sync.sample_extract import ExtractSpec, extract_generate

#: --misbehave choices -> (fault kind, where) of tests/support/fake_dms.py, switched on for good.
MISBEHAVIOURS = {
    "stuck-token": ("stuck_token", "GET", "/customers"),
    "endless-tokens": ("endless_tokens", "GET", "/customers"),
    "huge-page": ("huge_page", "GET", "/customers"),
    "html": ("html", "GET", "/customers"),
    "trickle": ("trickle", "GET", "/customers"),
    "redirect-remove": ("redirect", "POST", "/customers/"),
}
FOREVER = 10**9


class Command(BaseCommand):
    help = "Serve a fake DMS HTTP API (client credentials, changedSince paging, remove requests) on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dealership",
            required=True,
            type=store_code_argument,
            help="Store code whose customers the fake DMS holds.",
        )
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--first-number", type=int, default=500000)
        parser.add_argument("--configure", action="store_true", help="Point the store's DMS settings at this server.")
        parser.add_argument(
            "--fail-first", type=int, default=0, help="Answer HTTP 500 to the first N API requests (shows the retries)."
        )
        parser.add_argument(
            "--misbehave",
            action="append",
            default=[],
            choices=[*MISBEHAVIOURS, "repeat-customer"],
            help="Misbehave on every matching request: a page token that never advances, endless tokens, a 60 MB "
            "page, text/html pages, a slowly trickling page, 302 {status: applied} to remove requests; or list the "
            "first customer again on the last page with other values. Repeatable.",
        )

    def handle(
        self, *args, dealership, port, customers, seed, first_number, configure, fail_first, misbehave, **options
    ):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("The fake DMS is for development and demos only (not with production settings).")
        from tests.support.fake_dms import FakeDms

        store = Dealership.objects.filter(code=dealership).first()
        if store is None:
            raise CommandError(f"No store with code {dealership!r}.")
        extract = extract_generate(
            ExtractSpec(
                dealership_code=store.code,
                country=store.country,
                customers=customers,
                seed=seed,
                first_number=first_number,
                has_showroom_equity=store.has_showroom_equity,
            )
        )
        dms = FakeDms(client_id=f"demo-{store.code}", client_secret="demo-secret", port=port)  # noqa: S106
        dms.load_extract(extract)
        if fail_first:
            dms.fault("status", status=500, times=fail_first, path="/customers")
        for name in misbehave:
            if name == "repeat-customer":
                first = min(dms.customers)
                dms.repeat_customer(first, last_name="Repeated", vehicles=[], repair_orders=[])
                continue
            kind, method, path = MISBEHAVIOURS[name]
            dms.fault(kind, times=FOREVER, method=method, path=path, delay=0.5)
        dms.start()
        if configure:
            store.dms_adapter = DmsAdapter.HTTP_API
            store.dms_settings = dms.dms_settings()
            store.save(update_fields=["dms_adapter", "dms_settings"])
        held = len(dms.customers)
        self.stdout.write(self.style.SUCCESS(f"Fake DMS for {store.code} on {dms.url} ({held} customers)"))
        self.stdout.write(f"client_id={dms.client_id} client_secret={dms.client_secret}   Ctrl-C to stop.")
        try:
            while True:
                time.sleep(5)
                applied = sum(dms.applied_by_key.values())
                if applied:
                    self.stdout.write(f"remove requests applied so far: {applied}")
        except KeyboardInterrupt:
            pass
        finally:
            dms.stop()
