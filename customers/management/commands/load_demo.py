from django.core.management.base import BaseCommand, CommandError

from customers.demo import DEMO_SEED, DEMO_USERS, DemoRefused, demo_load
from customers.models import Customer


class Command(BaseCommand):
    help = "Load the demo stores, users and ~2,000 customers (never under production settings)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=DEMO_SEED)
        parser.add_argument("--customers-per-store", type=int, default=None)
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (successfully) when customers already exist."
        )

    def handle(self, *args, seed, customers_per_store, if_empty, **options):
        if if_empty and Customer.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        try:
            counts = demo_load(seed=seed, customers_per_store=customers_per_store)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        for name, value in counts.items():
            self.stdout.write(f"  {name:<22}{value:>8}")
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Logins (password = user name):"))
        for username, *_ in DEMO_USERS:
            self.stdout.write(f"  {username}")
