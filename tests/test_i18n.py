"""English and Canadian French: the catalogue is complete, the language is the person's choice (saved on their
account, switched from the nav, defaulting from the browser), and the app reads in the locale's conventions."""

import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.db.models import Count
from django.urls import reverse
from django.utils import formats, translation

from customers.models import UserLanguage
from customers.phones import phone_display

ROOT = Path(__file__).resolve().parent.parent
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-CA,fr;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}


def test_every_marked_string_has_a_french_translation():
    """makemessages into a temporary folder, compared with the catalogue in the repo (scripts/messages.py)."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext (xgettext) is missing: scripts/ensure-gettext.sh installs it")
        pytest.skip("GNU gettext (xgettext) is missing: run scripts/ensure-gettext.sh")
    run = subprocess.run(
        [sys.executable, "scripts/messages.py", "check"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_compiled_catalogue_is_the_one_in_the_repo():
    po = ROOT / "dealermine" / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, "run `make test` (it compiles django.po)"


@pytest.mark.django_db
def test_the_sign_in_page_follows_the_browser(client):
    french = client.get(reverse("login"), **FRENCH)
    assert french["Content-Language"] == "fr-ca"
    assert '<html lang="fr-ca">' in french.content.decode()
    english = client.get(reverse("login"), **ENGLISH)
    assert english["Content-Language"] == "en"


@pytest.mark.django_db
def test_a_browser_in_a_language_the_app_does_not_speak_gets_english(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_choice_is_saved_on_the_account_and_wins_over_the_browser(client, us_coordinator):
    client.force_login(us_coordinator)
    response = client.post(
        reverse("language_switch"), {"language": "fr-ca", "next": reverse("customers:list")}, **ENGLISH
    )
    assert response.status_code == 302 and response["Location"] == reverse("customers:list")
    assert UserLanguage.objects.get(user=us_coordinator).language == "fr-ca"
    assert client.get(reverse("customers:list"), **ENGLISH)["Content-Language"] == "fr-ca"

    # Another computer, another browser: the choice follows the person from sign-in.
    client.logout()
    client.cookies.clear()
    client.force_login(us_coordinator)
    assert client.get(reverse("customers:list"), **ENGLISH)["Content-Language"] == "fr-ca"

    client.post(reverse("language_switch"), {"language": "en", "next": "/"}, **FRENCH)
    assert UserLanguage.objects.get(user=us_coordinator).language == "en"
    assert client.get(reverse("customers:list"), **FRENCH)["Content-Language"] == "en"


@pytest.mark.django_db
def test_a_person_who_never_chose_reads_their_browsers_language(client, us_coordinator):
    client.force_login(us_coordinator)
    assert client.get(reverse("customers:list"), **FRENCH)["Content-Language"] == "fr-ca"
    assert client.get(reverse("customers:list"), **ENGLISH)["Content-Language"] == "en"
    assert not UserLanguage.objects.exists()


@pytest.mark.django_db
def test_switching_before_sign_in_keeps_the_language_for_the_sign_in_page(client):
    response = client.post(reverse("language_switch"), {"language": "fr", "next": reverse("login")}, **ENGLISH)
    assert response["Location"] == reverse("login")
    assert client.get(reverse("login"), **ENGLISH)["Content-Language"] == "fr-ca"
    assert not UserLanguage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [{"language": "de", "next": "/"}, {"language": "", "next": "/"}, {"language": "x" * 5000}, {}],
    ids=["unsupported", "blank", "long", "nothing"],
)
def test_a_language_the_app_does_not_speak_changes_nothing(client, us_coordinator, data):
    client.force_login(us_coordinator)
    response = client.post(reverse("language_switch"), data)
    assert response.status_code == 302
    assert not UserLanguage.objects.exists()
    assert client.get(reverse("customers:list"), **ENGLISH)["Content-Language"] == "en"


@pytest.mark.django_db
def test_the_switch_never_redirects_off_site_and_never_changes_on_get(client, us_coordinator):
    client.force_login(us_coordinator)
    response = client.post(reverse("language_switch"), {"language": "fr-ca", "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("language_switch"), {"language": "en"}).status_code == 405
    assert UserLanguage.objects.get(user=us_coordinator).language == "fr-ca"


@pytest.mark.django_db
def test_the_nav_offers_the_other_language(client, us_coordinator):
    client.force_login(us_coordinator)
    english = client.get(reverse("customers:list"), **ENGLISH).content.decode()
    assert 'name="language" value="fr-ca"' in english and "Français" in english
    french = client.get(reverse("customers:list"), **FRENCH).content.decode()
    assert 'name="language" value="en"' in french


def test_dates_and_numbers_follow_the_locale():
    import datetime

    moment = datetime.datetime(2026, 11, 30, 14, 5)
    with translation.override("en"):
        assert formats.date_format(moment, "DATE_FORMAT") == "Nov 30, 2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "Nov 30, 2026 2:05 PM"
        assert formats.number_format(1234.5, 2, force_grouping=True) == "1,234.50"
    with translation.override("fr-ca"):
        assert formats.date_format(moment, "DATE_FORMAT") == "30 nov. 2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "30 nov. 2026, 14\xa0h\xa005"
        assert formats.number_format(1234.5, 2, force_grouping=True) == "1\xa0234,50"


def test_phone_numbers_follow_the_locale():
    with translation.override("en"):
        assert phone_display("+15145550123") == "(514) 555-0123"
    with translation.override("fr-ca"):
        assert phone_display("+15145550123") == "514 555-0123"


class _VisibleText(HTMLParser):
    """The texts a person reads on a page: text nodes (not scripts or styles) and the attributes shown or read
    aloud (title, placeholder, aria-label, alt, a button's value). An element marked as another language (the
    nav's "English" button, lang="en") is that language on purpose and is left out."""

    SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0
        self._open: list[tuple[str, bool]] = []  # (tag, hides its text)
        self._page_language = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        language = attributes.get("lang")
        if tag == "html":
            self._page_language = language
        hides = tag in ("script", "style") or (
            tag != "html" and language is not None and language != self._page_language
        )
        if tag not in self.VOID:
            self._open.append((tag, hides))
            self._hidden += hides
        if self._hidden or hides:
            return
        self.texts += [attributes[a] for a in self.SHOWN_ATTRIBUTES if attributes.get(a)]
        if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
            self.texts.append(attributes["value"])

    def handle_endtag(self, tag):
        while self._open:
            open_tag, hides = self._open.pop()
            self._hidden -= hides
            if open_tag == tag:
                break

    def handle_data(self, data):
        if not self._hidden:
            self.texts.append(data)


def visible_texts(html: str) -> set[str]:
    parser = _VisibleText()
    parser.feed(html)
    return {" ".join(t.split()) for t in parser.texts if t.strip()}


def english_of_the_catalogue() -> set[str]:
    """Every English string of the catalogue whose French differs (a person reading it would see English)."""
    import polib

    po = polib.pofile(str(ROOT / "dealermine" / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"))
    english = set()
    for entry in po:
        french = entry.msgstr or entry.msgstr_plural.get(0, "")
        for text in (entry.msgid, entry.msgid_plural):
            if text and "%" not in text and "<" not in text and text != french:
                english.add(" ".join(text.split()))
    return english


@pytest.fixture
def demo_in_french(client):
    from django.contrib.auth import get_user_model

    from customers.demo import demo_load

    demo_load(customers_per_store=60)
    client.force_login(get_user_model().objects.get(username="coordinator"))
    client.post(reverse("language_switch"), {"language": "fr-ca", "next": "/"})
    return client


def _english_on(client, url, params=None) -> list[str]:
    response = client.get(url, params or {})
    assert response.status_code == 200, url
    assert response["Content-Language"] == "fr-ca"
    return sorted(visible_texts(response.content.decode()) & english_of_the_catalogue())


@pytest.mark.django_db
def test_a_french_coordinator_reads_no_english_on_the_profile_and_customer_information(demo_in_french):
    from customers.models import Customer

    # The files with the most on them: vehicles, contact history, turned-off methods, merges, bounces.
    busiest = Customer.objects.annotate(n=Count("vehicles") + Count("history")).order_by("-n", "pk")[:8]
    for customer in busiest:
        for url in (reverse("customers:profile", args=[customer.pk]), reverse("customers:edit", args=[customer.pk])):
            english = _english_on(demo_in_french, url)
            assert english == [], f"{url}: {english}"


@pytest.mark.django_db
def test_a_french_coordinator_reads_no_english_on_call_select_and_the_lists(demo_in_french):
    from customers.models import Dealership, VinContactType

    for store in Dealership.objects.all():
        for contact_type in VinContactType.values:
            params = {"dealership": store.pk, "contact_type": contact_type, "limit": 100}
            english = _english_on(demo_in_french, reverse("contacts:call_select"), params)
            assert english == [], f"{contact_type}: {english}"
    for url in (reverse("customers:list"), reverse("customers:new"), reverse("contacts:bounce_report")):
        english = _english_on(demo_in_french, url)
        assert english == [], f"{url}: {english}"
    assert _english_on(demo_in_french, reverse("customers:search"), {"q": "smith"}) == []
