import pytest
from django.utils import translation

from tests.customers.factories import (
    CanadianDealershipFactory,
    CustomerFactory,
    DealershipFactory,
    MembershipFactory,
    UserFactory,
)
from tests.support.browser import chromium_page
from tests.support.services import require_chromium


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request through the test client leaves the language it
    activated on the thread (LocaleMiddleware does not reset it), which made a later test read French labels."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def us_store(db):
    return DealershipFactory(code="us-store", name="US Store")


@pytest.fixture
def ca_store(db):
    return CanadianDealershipFactory(code="ca-store", name="CA Store")


@pytest.fixture
def coordinator(us_store, ca_store):
    """A coordinator working for both stores."""
    user = UserFactory(username="coord")
    MembershipFactory(user=user, dealership=us_store)
    MembershipFactory(user=user, dealership=ca_store)
    return user


@pytest.fixture
def us_coordinator(us_store):
    user = UserFactory(username="coord_us")
    MembershipFactory(user=user, dealership=us_store)
    return user


@pytest.fixture
def client_for(client):
    """Log a user in on the test client and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def us_customer(us_store):
    # A fixed first name no test sets: a random one could equal the value a test changes it to.
    return CustomerFactory(dealership=us_store, first_name="Winnifred")


@pytest.fixture
def ca_customer(ca_store):
    return CustomerFactory(
        dealership=ca_store, city="Toronto", state="ON", postal_code="M5V 3L9", country="CA", cell_phone="+14165550123"
    )


@pytest.fixture
def browser_page(monkeypatch):
    """A Chromium page at 1280x800; skips on a laptop without Chromium, fails in CI."""
    executable = require_chromium()
    # Playwright's sync API runs an event loop in this thread while the test's ORM calls stay synchronous.
    # Set for this test only: a process-wide flag would leak into subprocesses such as `check --deploy`.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium_page(executable=executable) as page:
        yield page
