"""Accessibility in the system Chromium (issue 19): axe-core on the coordinator's screens, in English and in French,
and Customer Information used from the keyboard alone.

axe-core comes from the axe-playwright-python package (it bundles axe.min.js and fetches nothing). Its rules run
in the page; a rule of impact "serious" or "critical" fails the test, with the rule, its help and the failing
elements in the message. "moderate" and "minor" findings (heading order, for one) are not gates.
"""

from contextlib import contextmanager

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from customers.models import ContactMethodKind, Customer
from customers.services.language import user_language_set
from tests.contacts.factories import ContactLogFactory, ContactMethodFactory, EmailBounceFactory, LastContactFactory
from tests.customers.factories import (
    AssociationFactory,
    CustomerFactory,
    CustomerHistoryFactory,
    InquiryFactory,
    MembershipFactory,
    RepairOrderFactory,
    UserFactory,
    VehicleContactTypeFactory,
    VehicleFactory,
    VerificationStampFactory,
)
from tests.support.browser import CHROMIUM_ARGS
from tests.support.services import require_chromium

BLOCKING = {"serious", "critical"}
PASSWORD = "pw-a11y-1"  # noqa: S105 - a test account on the live test server


@contextmanager
def _axe_page():
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        # No bypass_csp: the pages keep their Content-Security-Policy (script-src 'self'). axe-core is evaluated
        # through the DevTools protocol (page.evaluate), which the page's CSP does not govern, so it runs anyway.
        # Reduced motion turns Bootstrap's colour transitions off: axe measures a button's settled colours, not
        # a frame half-way between its hover and resting states.
        context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture
def axe_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread while the test's ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with _axe_page() as page:
        yield page


def _node(node) -> str:
    """An element axe-core flagged, with its colours and ratio when the rule is about contrast."""
    target = " ".join(str(part) for part in node["target"])
    for check in node.get("any", []):
        data = check.get("data") or {}
        if isinstance(data, dict) and data.get("contrastRatio"):
            return f"{target} ({data['fgColor']} on {data['bgColor']}: {data['contrastRatio']})"
    return target


def blocking_violations(page, where: str) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = ", ".join(_node(node) for node in violation["nodes"][:8])
        more = len(violation["nodes"]) - 8
        lines.append(
            f"[{where}] {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}"
            + (f" (+{more} more)" if more > 0 else "")
        )
    return lines


def _people(store, user):
    """A customer whose profile fills every panel, a duplicate of them, and a second customer to call."""
    parent = CustomerFactory(
        dealership=store,
        first_name="Dana",
        last_name="Whitfield",
        city="Toronto",
        state="ON",
        postal_code="M5V 3L9",
        country="CA",
        cell_phone="+14165550142",
        home_phone="+14165550177",
        email1="dana.whitfield@mail.example.com",
        email2="",
        preferred_contact_method=ContactMethodKind.CELL_PHONE,
        star_rating=9,
    )
    duplicate = CustomerFactory(
        dealership=store,
        first_name="Dana",
        last_name="Whitfield",
        city="Toronto",
        state="ON",
        postal_code="M5V 3L9",
        country="CA",
        cell_phone="+14165550142",
        email1="",
        email2="dana.w@mail.example.com",
    )
    other = CustomerFactory(
        dealership=store, first_name="Low", last_name="Rated", star_rating=2, city="Toronto", state="ON", country="CA"
    )
    vehicle = VehicleFactory(customer=parent, year=2022, make="Toyota", model="RAV4")
    VehicleFactory(customer=other)
    VehicleContactTypeFactory(vehicle=vehicle, comment="Leased elsewhere")
    RepairOrderFactory(customer=parent, vin=vehicle.vin)
    ContactMethodFactory(customer=parent, method=ContactMethodKind.MAIL)
    EmailBounceFactory(dealership=store, email=parent.email1, campaign="Winter tires")
    EmailBounceFactory(dealership=store, email=other.email1, campaign="Oil change reminder")
    LastContactFactory(
        contact_log=ContactLogFactory(customer=parent, user=user, vehicle=vehicle, note="Left a message")
    )
    CustomerHistoryFactory(customer=parent, actor=user)
    VerificationStampFactory(customer=parent, verified_by=user)
    InquiryFactory(customer=parent, user=user)
    AssociationFactory(from_customer=parent, to_customer=other)
    return parent, duplicate


def _log_in(page, username):
    """Signs in from the keyboard: the fields filled, Enter in the password sends the form."""
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fr-ca"])
def test_no_serious_or_critical_axe_violations(live_server, axe_page, ca_store, language):
    page = axe_page
    url = live_server.url
    user = UserFactory(username=f"a11y_{language}", password=PASSWORD)
    MembershipFactory(user=user, dealership=ca_store)
    parent, duplicate = _people(ca_store, user)
    found = []

    def check(where):
        assert page.locator("html").get_attribute("lang") == language, f"{where} is not in {language}"
        found.extend(blocking_violations(page, f"{language} {where}"))

    page.goto(url + reverse("login"))
    if language != "en":
        # The sign-in page's own switch (a cookie), then the person's saved choice for every page after it.
        page.locator("#language-switch button[value='fr-ca']").click()
        page.wait_for_url(lambda u: "/login/" in u)
        user_language_set(user=user, language=language)
        expect(page.locator("main h1")).to_have_text("Se connecter")  # the compiled French catalogue is current
    check("login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "not-the-password")
    page.click("main button[type=submit]")
    page.wait_for_selector("main .alert-danger, main .invalid-feedback, main .errorlist")
    check("login with an error")
    _log_in(page, user.username)

    page.goto(url + reverse("customers:profile", args=[parent.pk]))
    check("profile")

    page.goto(url + reverse("customers:edit", args=[parent.pk]))
    check("Customer Information")
    # The consent panel folded open; an unsaved edit (other actions wait); the form sent back with its errors.
    page.locator("#email-consent summary").click()
    page.fill("#id_home_phone", "555")
    expect(page.locator("#verify-button")).to_be_disabled()
    check("Customer Information with unsaved edits")
    page.click("#save-button")
    page.wait_for_selector("#id_home_phone_error")
    check("Customer Information with errors")

    page.goto(url + reverse("customers:new"))
    check("new customer")
    # Save with the duplicate's phone: the identity check lists the existing files.
    page.fill("#id_last_name", "Whitfield")
    page.fill("#id_cell_phone", "416 555 0142")
    page.click("#save-button")
    page.wait_for_selector("#identity-alert")
    check("new customer identity check")

    page.goto(url + reverse("customers:search") + "?q=whitfield")
    expect(page.locator("button[data-result-id]")).to_have_count(2)
    check("search")

    page.goto(url + reverse("contacts:call_select"))
    check("Call Select")
    page.select_option("select[name=contact_type]", "csi")
    page.fill("input[name=city]", "toronto")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#call-select-results")
    check("Call Select list")
    page.locator("#call-select-results a[data-log-open]").first.click()
    page.wait_for_selector(".dm-log-row select[name=result]")
    check("Call Select with a row's log form")

    page.goto(url + reverse("customers:merge", args=[parent.pk]))
    check("merge")
    page.check(f"#child-{duplicate.pk}")
    page.select_option(f"#rel-{duplicate.pk}", "duplicate")
    page.locator("main form[action$='/merge/review/'] button[type=submit]").click()
    page.wait_for_url(lambda u: "/merge/review/" in u)
    check("merge review")

    page.goto(url + reverse("contacts:bounce_report"))
    check("bounce report")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("#bounce-report")
    check("bounce report results")

    assert not found, "axe-core serious/critical violations:\n" + "\n".join(found)


def _tab_to(page, selector, *, limit=250):
    """Press Tab until the element matching `selector` has the focus; returns how many presses it took."""
    target = page.locator(selector)
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"Tab never reached {selector} in {limit} presses")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_information_edited_and_saved_from_the_keyboard(live_server, axe_page, ca_store):
    page = axe_page
    user = UserFactory(username="a11y_keys", password=PASSWORD)
    MembershipFactory(user=user, dealership=ca_store)
    customer = CustomerFactory(
        dealership=ca_store,
        first_name="Chloe",
        last_name="Tremblay",
        city="Toronto",
        state="ON",
        postal_code="M5V 3L9",
        country="CA",
    )
    page.goto(live_server.url + reverse("login"))
    _log_in(page, user.username)

    page.goto(live_server.url + reverse("customers:edit", args=[customer.pk]))
    _tab_to(page, "#id_first_name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Chloé")
    _tab_to(page, "#save-button")
    # The focused control shows that it has the focus.
    outline = page.locator("#save-button").evaluate(
        "el => getComputedStyle(el).boxShadow + getComputedStyle(el).outlineStyle"
    )
    assert outline not in ("nonenone", "none"), outline
    page.keyboard.press("Enter")
    expect(page.get_by_text("Customer information saved.")).to_be_visible()

    assert Customer.objects.get(pk=customer.pk).first_name == "Chloé"
    page.goto(live_server.url + reverse("customers:profile", args=[customer.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Chloé Tremblay")
