"""Customer Profile screen through HTTP: every numbered item, the markers, tenancy and the query budget."""

from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import ContactMethodKind, CustomerKind, CustomerStatus, DayNight, DmsVendor, Relationship
from dms_sync.models import RemoveStatus
from tests.contacts.factories import ContactMethodFactory, EmailBounceFactory, EmailConsentFactory
from tests.customers.factories import (
    AssociationFactory,
    CustomerFactory,
    CustomerHistoryFactory,
    DealershipFactory,
    InquiryFactory,
    RepairOrderFactory,
    TurnOffReasonFactory,
    UserFactory,
    VehicleContactTypeFactory,
    VehicleFactory,
    VerificationStampFactory,
)
from tests.dms_sync.factories import RemoveRequestFactory

pytestmark = pytest.mark.django_db


class _Elements(HTMLParser):
    """Every start tag with its attributes, and the page text, for attribute-level assertions."""

    def __init__(self):
        super().__init__()
        self.elements = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


class Page:
    def __init__(self, response):
        assert response.status_code == 200, response.status_code
        self.html = response.content.decode()
        parser = _Elements()
        parser.feed(self.html)
        self.elements = parser.elements
        self.text = " ".join(" ".join(parser.text).split())  # text nodes joined with spaces
        self.flat = " ".join("".join(parser.text).split())  # as rendered inline (no space between nodes)
        self.context = response.context

    def with_attr(self, name, value=None):
        return [attrs for _, attrs in self.elements if name in attrs and (value is None or attrs[name] == value)]

    def labels(self):
        return {attrs["aria-label"] for _, attrs in self.elements if "aria-label" in attrs}

    def has_label(self, label):
        return label in self.labels()

    def classes(self, css):
        return [attrs for _, attrs in self.elements if css in (attrs.get("class") or "").split()]


def profile(client, customer):
    return Page(client.get(reverse("customers:profile", args=[customer.pk])))


@pytest.fixture
def web(client_for, coordinator):
    return client_for(coordinator)


# --- 1-4: identity ---------------------------------------------------------------------------------------------


def test_name_links_to_customer_information(web, us_customer):
    page = profile(web, us_customer)
    links = page.with_attr("href", f"/customers/{us_customer.pk}/edit/")
    assert links, "the name must link to Customer Information"
    assert us_customer.full_name in page.text


def test_other_name_links_when_there_is_no_name(web, us_store):
    company = CustomerFactory(
        dealership=us_store, kind=CustomerKind.BUSINESS, first_name="", last_name="", other_name="Acme Fleet Ltd"
    )
    page = profile(web, company)
    assert (
        f'<a href="/customers/{company.pk}/edit/" title="View/edit Customer Information">Acme Fleet Ltd</a>'
        in page.html
    )


def test_contact_name_and_dob(web, us_store):
    customer = CustomerFactory(dealership=us_store, contact_name="Pat Doe", birth_date=date(1975, 3, 4))
    page = profile(web, customer)
    assert "Contact: Pat Doe" in page.text
    assert "DOB: Mar 4, 1975" in page.text


def test_dealermine_and_dms_logos_with_numbers(web, us_customer):
    page = profile(web, us_customer)
    assert page.has_label("DealerMine customer number")
    assert page.has_label("DMS customer number (CDK)")
    assert str(us_customer.dealermine_number) in page.text
    assert us_customer.dms_number in page.text


def test_a_prospect_shows_the_dash_4_number_and_who_entered_it(web, us_store):
    entered_by = UserFactory(first_name="Casey", last_name="Morgan")
    prospect = CustomerFactory(
        dealership=us_store,
        kind=CustomerKind.PROSPECT,
        dealermine_number=700123,
        entered_by=entered_by,
        activity_salesperson="Marco Rossi",
        last_activity_date=date(2026, 8, 18),
        sold_salesperson="Not Used",
        last_sold_date=date(2026, 10, 1),
    )
    page = profile(web, prospect)
    assert "700123-4" in page.text
    assert "Entered by Casey Morgan" in page.text
    assert "Salesperson Marco Rossi Last sales activity, Aug 18, 2026" in page.text
    assert "Not Used" not in page.text


def test_sold_customer_shows_current_salesperson_and_last_contact(web, us_store):
    customer = CustomerFactory(
        dealership=us_store,
        sold_salesperson="Tom Brennan",
        last_sold_date=date(2024, 9, 19),
        reassigned_salesperson="Nadia Haddad",
        reassigned_date=date(2025, 2, 1),
        last_contact_date=date(2026, 10, 18),
    )
    page = profile(web, customer)
    assert "Salesperson Nadia Haddad Reassigned, Feb 1, 2025" in page.text
    assert "Last contact Oct 18, 2026" in page.text
    assert "Entered by" not in page.text


def test_a_customer_without_purchase_history_shows_no_salesperson(web, us_store):
    customer = CustomerFactory(dealership=us_store, activity_salesperson="Cy", last_activity_date=date(2026, 1, 1))
    assert "Salesperson" not in profile(web, customer).text


# --- 5: Sales (Reynolds only) ----------------------------------------------------------------------------------


def test_sales_show_for_reynolds_stores_with_a_link_to_the_breakdown(web, ca_store):
    customer = CustomerFactory(dealership=ca_store, labour_sales_total=Decimal("2197.79"))
    RepairOrderFactory.create_batch(2, customer=customer)
    page = profile(web, customer)
    assert page.with_attr("href", reverse("customers:sales", args=[customer.pk]))
    assert "$2,197.79 labour · 2 ROs" in page.text


def test_no_sales_for_other_dms_vendors(web, us_customer):
    page = profile(web, us_customer)
    assert not page.with_attr("href", reverse("customers:sales", args=[us_customer.pk]))
    assert web.get(reverse("customers:sales", args=[us_customer.pk])).status_code == 404


def test_sales_breakdown_lists_the_customers_repair_orders_paginated(web, ca_store):
    customer = CustomerFactory(dealership=ca_store)
    someone_else = CustomerFactory(dealership=ca_store)
    RepairOrderFactory(customer=someone_else, ro_number="RO-NOT-MINE")
    today = date(2026, 11, 1)
    for i in range(30):
        RepairOrderFactory(
            customer=customer,
            ro_number=f"RO{i:04d}",
            closed_date=today - timedelta(days=i),
            labour_sale="100.00",
            parts_sale="10.50",
        )
    url = reverse("customers:sales", args=[customer.pk])
    first = Page(web.get(url))
    assert "RO0000" in first.text and "RO0024" in first.text and "RO0025" not in first.text
    assert "RO-NOT-MINE" not in first.text
    assert "Page 1 of 2" in first.text
    assert "All 30 repair orders $3,000.00 $315.00 $3,315.00" in first.text
    second = Page(web.get(url, {"page": 2}))
    assert "RO0025" in second.text and "RO0029" in second.text and "RO0024" not in second.text


def test_sales_breakdown_is_tenant_scoped(client_for, us_coordinator, ca_store):
    customer = CustomerFactory(dealership=ca_store)
    RepairOrderFactory(customer=customer)
    assert client_for(us_coordinator).get(reverse("customers:sales", args=[customer.pk])).status_code == 404


# --- 6-8: address, phones, email -------------------------------------------------------------------------------


def test_address_block_is_plain_text_with_the_address_to_line(web, us_store):
    customer = CustomerFactory(
        dealership=us_store,
        address_to="Mr. & Mrs. Smith",
        address1="12 Main St",
        address2="Unit 4",
        city="Detroit",
        state="MI",
        postal_code="48226",
    )
    page = profile(web, customer)
    assert '<span class="dm-address-to">Mr. &amp; Mrs. Smith</span><br>12 Main St<br>Unit 4<br>Detroit, MI 48226' in (
        page.html
    )


def test_home_work_and_cell_phones_in_national_form(web, us_store):
    customer = CustomerFactory(
        dealership=us_store, home_phone="+13135550101", work_phone="+13135550102", work_ext="44", cell_phone=""
    )
    page = profile(web, customer)
    assert "Home (313) 555-0101" in page.text
    assert "Work (313) 555-0102 ext. 44" in page.text
    assert "Cell no number on file" in page.text  # not a dash and a green check: nothing to call


def test_email_is_red_when_it_bounced_in_this_store_within_90_days(web, us_store):
    customer = CustomerFactory(dealership=us_store, email1="Red@Example.com")
    EmailBounceFactory(dealership=us_store, email="red@example.com", bounced_at=timezone.now() - timedelta(days=89))
    page = profile(web, customer)
    assert page.classes("dm-email-bounced")
    assert "(bounced in the last 90 days, not verified since)" in page.text


def test_email_is_not_red_for_an_old_bounce_or_another_stores_bounce(web, us_store, ca_store):
    customer = CustomerFactory(dealership=us_store, email1="old@example.com")
    EmailBounceFactory(dealership=us_store, email="old@example.com", bounced_at=timezone.now() - timedelta(days=91))
    EmailBounceFactory(dealership=ca_store, email="old@example.com", bounced_at=timezone.now() - timedelta(days=1))
    page = profile(web, customer)
    assert not page.classes("dm-email-bounced")
    assert "1 bounce · limit 3" in page.text  # only this store's bounces count


def test_verified_info_after_the_bounce_clears_red(web, us_store):
    customer = CustomerFactory(dealership=us_store, email1="v@example.com")
    bounced = timezone.now() - timedelta(days=5)
    EmailBounceFactory(dealership=us_store, email="v@example.com", bounced_at=bounced)
    VerificationStampFactory(customer=customer, verified_at=bounced + timedelta(hours=1))
    assert not profile(web, customer).classes("dm-email-bounced")


def test_bounce_count_store_limit_and_invalid_marker(web):
    store = DealershipFactory(email_bounce_limit=2)
    user = UserFactory()
    from tests.customers.factories import MembershipFactory

    MembershipFactory(user=user, dealership=store)
    customer = CustomerFactory(dealership=store, email1="x@example.com")
    EmailBounceFactory.create_batch(2, dealership=store, email="x@example.com")
    web.force_login(user)
    page = profile(web, customer)
    assert "2 bounces · limit 2" in page.text
    assert "invalid" in page.text.split()


def test_no_invalid_marker_below_the_limit(web, us_store):
    customer = CustomerFactory(dealership=us_store, email1="y@example.com")
    EmailBounceFactory.create_batch(2, dealership=us_store, email="y@example.com")
    page = profile(web, customer)
    assert "2 bounces · limit 3" in page.text
    assert "invalid" not in page.text.split()


def test_consent_expired_marker(web, us_customer):
    EmailConsentFactory(customer=us_customer, expires_at=timezone.now() - timedelta(days=1))
    assert "consent expired" in profile(web, us_customer).text


def test_casl_opt_out_icon_only_for_canadian_stores(web, ca_customer, us_customer):
    EmailConsentFactory(customer=ca_customer, opted_out_at=timezone.now())
    EmailConsentFactory(customer=us_customer, opted_out_at=timezone.now())
    assert profile(web, ca_customer).has_label("CASL: opted out of email")
    us_page = profile(web, us_customer)
    assert not us_page.has_label("CASL: opted out of email")
    assert "opted out" in us_page.text


# --- Preferred star, contact methods, info icon ----------------------------------------------------------------


def test_yellow_star_beside_the_preferred_method(web, us_store):
    customer = CustomerFactory(dealership=us_store, preferred_contact_method=ContactMethodKind.CELL_PHONE)
    page = profile(web, customer)
    stars = page.with_attr("aria-label", "Preferred Method of Contact")
    assert len(stars) == 1
    assert stars[0]["title"] == "Preferred Method of Contact"
    assert stars[0]["data-bs-toggle"] == "tooltip"
    cell_row = page.html.split("<dt>Cell</dt>")[1].split("</dd>")[0]
    assert "Preferred Method of Contact" in cell_row


def test_no_star_when_no_preference_is_set(web, us_customer):
    assert not profile(web, us_customer).has_label("Preferred Method of Contact")


def test_green_check_red_x_or_no_value_per_contact_method(web, us_store):
    """The indicator is the contactability answer: a check only where the store may contact the customer."""
    customer = CustomerFactory(dealership=us_store, home_phone="+13135550101", work_phone="", cell_phone="+13135550103")
    reason = TurnOffReasonFactory(label="Wrong number")
    ContactMethodFactory(customer=customer, method=ContactMethodKind.HOME_PHONE, is_on=False, reason=reason)
    ContactMethodFactory(customer=customer, method=ContactMethodKind.CELL_PHONE, is_on=True, reason=None)
    labels = profile(web, customer).labels()
    assert {
        "Mailing Address: contactable",
        "Home Phone: not contactable: turned off (Wrong number)",
        "Work Phone: no number on file",
        "Cell Phone: contactable",
        "Email: contactable",
    } <= labels
    assert "Work Phone: contactable" not in labels


def test_information_icon_lists_the_methods_that_are_off(web, us_customer):
    reason = TurnOffReasonFactory(label="Wrong number")
    ContactMethodFactory(customer=us_customer, method=ContactMethodKind.WORK_PHONE, is_on=False, reason=reason)
    ContactMethodFactory(customer=us_customer, method=ContactMethodKind.MAIL, is_on=False, reason=reason)
    page = profile(web, us_customer)
    icons = page.with_attr("aria-label", "Contact methods off: Mailing Address, Work Phone")
    assert len(icons) == 1
    assert icons[0]["title"] == "Contact methods off: Mailing Address (Wrong number), Work Phone (Wrong number)"


def test_no_information_icon_when_every_method_is_on(web, us_customer):
    ContactMethodFactory(customer=us_customer, method=ContactMethodKind.EMAIL, is_on=True)
    assert not any(label.startswith("Contact methods off") for label in profile(web, us_customer).labels())


def test_a_duplicate_child_follows_the_parents_contact_methods(web, us_store):
    parent = CustomerFactory(dealership=us_store, preferred_contact_method=ContactMethodKind.EMAIL)
    reason = TurnOffReasonFactory(label="Do not call")
    ContactMethodFactory(customer=parent, method=ContactMethodKind.CELL_PHONE, is_on=False, reason=reason)
    child = CustomerFactory(dealership=us_store, merge_parent=parent, merge_relationship=Relationship.DUPLICATE)
    page = profile(web, child)
    assert "contact methods follow the parent file" in page.text
    assert page.has_label(
        "Cell Phone: not contactable: a duplicate file: contact the parent file; turned off (Do not call)"
    )
    assert page.has_label("Contact methods off: Cell Phone")
    # The duplicate file itself is never contacted (Call Select leaves it out): no star, and the note says why.
    assert not page.has_label("Preferred Method of Contact")
    assert "Preferred method Email is not usable: a duplicate file: contact the parent file." in page.text
    # The parent's own profile has the star on its usable preferred method.
    assert profile(web, parent).has_label("Preferred Method of Contact")


# --- 9-15 and the icon row -------------------------------------------------------------------------------------


def test_language(web, us_store):
    assert "Language French" in profile(web, CustomerFactory(dealership=us_store, language="fr")).text


def test_inq_icon_with_date_and_user_on_hover(web, us_customer):
    user = UserFactory(first_name="Casey", last_name="Morgan")
    InquiryFactory(customer=us_customer, user=user, created_at=timezone.now() - timedelta(days=400))
    InquiryFactory(customer=us_customer, user=user, created_at=timezone.now() - timedelta(days=2))
    page = profile(web, us_customer)
    inq = page.with_attr("aria-label", "Inquired")
    assert len(inq) == 1
    when = timezone.localtime(timezone.now() - timedelta(days=2))
    assert inq[0]["title"].startswith(f"Inquired {when:%b} {when.day}, {when.year}")
    assert inq[0]["title"].endswith("by Casey Morgan")


def test_no_inq_icon_without_an_inquiry(web, us_customer):
    assert not profile(web, us_customer).has_label("Inquired")


def test_eservice_star_rating_and_day_night_icons(web, us_store):
    customer = CustomerFactory(dealership=us_store, eservice_registered=True, star_rating=7, day_night=DayNight.DAY)
    labels = profile(web, customer).labels()
    assert {"eService registered", "Star rating 7 of 10", "Day preference"} <= labels
    assert "Night preference" not in labels
    night = CustomerFactory(dealership=us_store, star_rating=0, day_night=DayNight.NIGHT)
    labels = profile(web, night).labels()
    assert {"Star rating 0 of 10", "Night preference"} <= labels
    assert "eService registered" not in labels


def test_no_rating_or_day_night_icon_when_unknown(web, us_customer):
    labels = profile(web, us_customer).labels()
    assert not any(label.startswith("Star rating") for label in labels)
    assert not labels & {"Day preference", "Night preference"}


def test_associations_icon_counts_both_directions_with_names(web, us_store):
    customer = CustomerFactory(dealership=us_store)
    spouse = CustomerFactory(dealership=us_store, first_name="Ann", last_name="Lee")
    friend = CustomerFactory(dealership=us_store, first_name="Bob", last_name="Ray")
    AssociationFactory(from_customer=customer, to_customer=spouse, relationship=Relationship.SPOUSE)
    AssociationFactory(from_customer=friend, to_customer=customer, relationship=Relationship.FRIEND)
    page = profile(web, customer)
    assert page.has_label("2 associations: Ann Lee (Spouse), Bob Ray (Friend)")
    assert page.with_attr("href", reverse("customers:profile", args=[spouse.pk]))


def test_thermometer_for_showroom_equity_stores_only(web, ca_store, us_store):
    ca = CustomerFactory(dealership=ca_store, likely_to_buy=2)
    us = CustomerFactory(dealership=us_store, likely_to_buy=2)
    assert profile(web, ca).has_label("Likely To Buy Level 2")
    assert not any(label.startswith("Likely To Buy") for label in profile(web, us).labels())


def test_last_verification_under_the_twitter_symbol(web, us_store):
    customer = CustomerFactory(dealership=us_store, twitter_handle="wei73")
    VerificationStampFactory(customer=customer, verified_at=timezone.now() - timedelta(days=400))
    VerificationStampFactory(customer=customer, verified_at=timezone.now())
    page = profile(web, customer)
    assert page.has_label("Twitter")
    assert "@wei73 Last Verification: today" in page.text


def test_last_verification_never(web, us_customer):
    assert "Last Verification: never" in profile(web, us_customer).text


# --- Inactive, vehicles, merge family, remove requests ---------------------------------------------------------


def test_inactive_banner_with_the_reason(web, us_store):
    reason = TurnOffReasonFactory(label="Deceased")
    customer = CustomerFactory(dealership=us_store, status=CustomerStatus.INACTIVE, inactive_reason=reason)
    page = profile(web, customer)
    assert "Inactive customer: Deceased" in page.flat


def test_active_customers_have_no_inactive_banner(web, us_customer):
    assert "Inactive customer" not in profile(web, us_customer).text


def test_vehicles_with_the_state_of_their_vin_contact_types(web, us_customer):
    vehicle = VehicleFactory(customer=us_customer, year=2021, make="Honda", model="Civic")
    VehicleContactTypeFactory(vehicle=vehicle, contact_type="csi", is_on=False)
    VehicleContactTypeFactory(vehicle=vehicle, contact_type="recalls", is_on=True, reason=None)
    sold = VehicleFactory(customer=us_customer, owns=False, year=2015, make="Ford", model="Focus")
    page = profile(web, us_customer)
    assert vehicle.vin in page.text and sold.vin in page.text
    assert "2015 Ford Focus (sold/traded)" in page.text
    labels = [a["aria-label"] for a in page.with_attr("aria-label") if ": o" in a["aria-label"]]
    vehicle_labels = [label for label in labels if label.split(":")[0] in {"Owns", "CSI", "Recalls", "Maintenance"}]
    assert vehicle_labels.count("CSI: off") == 1
    assert vehicle_labels.count("Owns: off") == 1
    assert vehicle_labels.count("Recalls: on") == 2
    assert vehicle_labels.count("Maintenance: on") == 2


def test_merge_family_switcher_and_all_numbers(web, us_store):
    parent = CustomerFactory(dealership=us_store, dealermine_number=500001, dms_number="P-1")
    dup = CustomerFactory(
        dealership=us_store,
        dealermine_number=500002,
        dms_number="C-2",
        merge_parent=parent,
        merge_relationship=Relationship.DUPLICATE,
    )
    spouse = CustomerFactory(
        dealership=us_store, dealermine_number=500003, dms_number="", merge_parent=parent, merge_relationship="spouse"
    )
    page = profile(web, dup)
    assert "Merged files (3)" in page.text
    for member in (parent, spouse):
        assert page.with_attr("href", reverse("customers:profile", args=[member.pk]))
    assert page.with_attr("aria-current", "page")
    assert "500002, 500001, 500003" in page.flat
    assert "C-2, P-1" in page.flat
    parent_page = profile(web, parent)
    assert "Merged files (3)" in parent_page.text
    assert "500001, 500002, 500003" in parent_page.flat


def test_no_switcher_without_a_merge(web, us_customer):
    assert "Merged files" not in profile(web, us_customer).text


def test_pending_and_dead_remove_requests_are_shown(web, us_customer):
    RemoveRequestFactory(customer=us_customer, value="+13135550188", status=RemoveStatus.PENDING)
    RemoveRequestFactory(customer=us_customer, value="+13135550199", status=RemoveStatus.DEAD, last_error="HTTP 400")
    RemoveRequestFactory(customer=us_customer, value="+13135550177", status=RemoveStatus.ACKNOWLEDGED)
    page = profile(web, us_customer)
    banner = page.html.split("dm-remove-banner")[1].split("</div>")[0]
    assert "(313) 555-0188" in banner and "Pending" in banner
    assert "(313) 555-0199" in banner and "Dead" in banner
    assert "(313) 555-0177" not in banner
    assert "Acknowledged" in page.text
    assert "HTTP 400" in page.text


# --- Tenancy ---------------------------------------------------------------------------------------------------


def test_profile_of_another_stores_customer_is_404(client_for, us_coordinator, ca_customer):
    assert client_for(us_coordinator).get(reverse("customers:profile", args=[ca_customer.pk])).status_code == 404


def test_associations_and_family_never_reach_into_another_store(client_for, us_coordinator, us_store, ca_store):
    mine = CustomerFactory(dealership=us_store)
    foreign = CustomerFactory(dealership=ca_store, first_name="Foreign", last_name="Person")
    AssociationFactory(from_customer=mine, to_customer=foreign)
    page = profile(client_for(us_coordinator), mine)
    assert "Foreign Person" not in page.text
    assert page.has_label("0 associations")


def test_user_data_is_escaped(web, us_store):
    customer = CustomerFactory(dealership=us_store, first_name="<script>alert(1)</script>", contact_name="<b>x</b>")
    page = profile(web, customer)
    assert "<script>alert(1)</script>" not in page.html
    assert "&lt;script&gt;" in page.html


# --- Query budget ----------------------------------------------------------------------------------------------

QUERY_BUDGET = 10  # per page, including session, auth, the store switcher and the session save


def _populate(customer, n):
    store = customer.dealership
    now = timezone.now()
    vehicles = VehicleFactory.create_batch(n, customer=customer)
    for vehicle in vehicles:
        VehicleContactTypeFactory(vehicle=vehicle, contact_type="csi")
        VehicleContactTypeFactory(vehicle=vehicle, contact_type="recalls")
    for _ in range(n):
        AssociationFactory(from_customer=customer, to_customer=CustomerFactory(dealership=store))
        AssociationFactory(from_customer=CustomerFactory(dealership=store), to_customer=customer)
        CustomerFactory(dealership=store, merge_parent=customer, merge_relationship=Relationship.DUPLICATE)
    EmailBounceFactory.create_batch(n, dealership=store, email=customer.email1, bounced_at=now - timedelta(days=1))
    EmailBounceFactory.create_batch(n, dealership=store, email=customer.email2)
    CustomerHistoryFactory.create_batch(n, customer=customer)
    RepairOrderFactory.create_batch(n, customer=customer)
    VerificationStampFactory.create_batch(n, customer=customer, verified_at=now - timedelta(days=3))
    InquiryFactory.create_batch(n, customer=customer)
    RemoveRequestFactory.create_batch(n, customer=customer)
    EmailConsentFactory(customer=customer, opted_out_at=now)
    for method in ContactMethodKind.values:
        ContactMethodFactory(customer=customer, method=method)


@pytest.mark.parametrize("n", [1, 50])
def test_profile_query_count_is_constant(web, ca_store, django_assert_max_num_queries, n):
    customer = CustomerFactory(
        dealership=ca_store, email2="second@example.com", kind=CustomerKind.PERSON, star_rating=5, likely_to_buy=3
    )
    _populate(customer, n)
    url = reverse("customers:profile", args=[customer.pk])
    web.get(url)  # warm the connection (SQLite checks its JSON support once per connection)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = web.get(url)
    assert response.status_code == 200
    data = response.context["profile"]
    assert len(data.vehicles) == n
    assert len(data.associations) == 2 * n
    assert len(data.family) == n + 1
    assert data.emails[0].bounce_count == n
    assert data.emails[1].bounce_count == n
    assert data.repair_order_count == n
    assert len(data.remove_requests) == n
    assert data.emails[0].is_red  # bounced a day ago, verified three days ago
    assert all(not m.is_on for m in data.contact_methods)


def test_sales_breakdown_query_count_is_constant(web, ca_store, django_assert_max_num_queries):
    customer = CustomerFactory(dealership=ca_store)
    RepairOrderFactory.create_batch(60, customer=customer)
    url = reverse("customers:sales", args=[customer.pk])
    web.get(url)
    with django_assert_max_num_queries(QUERY_BUDGET):
        assert web.get(url, {"page": 2}).status_code == 200


def test_vendor_label_for_reynolds(web, ca_customer):
    assert ca_customer.dealership.dms_vendor == DmsVendor.REYNOLDS
    assert profile(web, ca_customer).has_label("DMS customer number (Reynolds & Reynolds)")


def test_the_profile_selector_itself_is_one_query(coordinator, ca_store, django_assert_num_queries):
    from customers.selectors.profile import customer_profile_get

    customer = CustomerFactory(dealership=ca_store, email2="two@example.com")
    _populate(customer, 3)
    customer_profile_get(user=coordinator, pk=customer.pk)  # warm the connection
    with django_assert_num_queries(1):
        data = customer_profile_get(user=coordinator, pk=customer.pk)
    assert len(data.vehicles) == 3
    assert {t.label for t in data.vehicles[0].off_types} == {"CSI", "Recalls"}


def test_last_change_names_the_user_or_the_source(web, us_customer):
    CustomerHistoryFactory(customer=us_customer, source="dms_sync", created_at=timezone.now() - timedelta(days=3))
    assert "· DMS sync" in profile(web, us_customer).text
    editor = UserFactory(first_name="Jordan", last_name="Ellis")
    CustomerHistoryFactory(customer=us_customer, actor=editor, created_at=timezone.now())
    assert "· Jordan Ellis" in profile(web, us_customer).text


# --- Contactability: the indicators, the star and Customer Information show one answer -------------------------


def _method_labels(page):
    """The contactability indicator of each method ("<Method>: contactable" / "...: no number on file" / ...)."""
    methods = {label for _, label in ContactMethodKind.choices}
    return {label for label in page.labels() if label.split(":")[0] in methods}


def test_an_opted_out_email_is_not_contactable_with_the_reason_and_no_star(web, ca_store):
    customer = CustomerFactory(
        dealership=ca_store, email1="wei@example.net", preferred_contact_method=ContactMethodKind.EMAIL
    )
    EmailConsentFactory(customer=customer, email="wei@example.net", opted_out_at=timezone.now() - timedelta(days=2))
    page = profile(web, customer)
    assert page.has_label("Email: not contactable: Email 1 opted out of email")
    assert "Email: contactable" not in page.labels()
    assert page.has_label("CASL: opted out of email")
    line = page.html.split('data-email="email1"')[1].split("dm-email-meta")[0]
    assert "not contactable" in line and "Email 1 opted out of email" in line
    assert not page.has_label("Preferred Method of Contact"), "no yellow star on an opted-out email"
    assert "Preferred method Email is not usable: Email 1 opted out of email." in page.text


def test_an_invalid_email_is_not_contactable_with_the_reason(web, us_store):
    customer = CustomerFactory(dealership=us_store, email1="gone@example.net")
    EmailBounceFactory.create_batch(3, dealership=us_store, email="gone@example.net")
    page = profile(web, customer)
    assert page.has_label("Email: not contactable: Email 1 is invalid (3 bounces)")
    line = page.html.split('data-email="email1"')[1].split("dm-email-meta")[0]
    assert "not contactable" in line and "Email 1 is invalid (3 bounces)" in line


def test_a_usable_second_address_keeps_email_contactable_and_takes_the_star(web, us_store):
    customer = CustomerFactory(
        dealership=us_store,
        email1="one@example.net",
        email2="two@example.net",
        preferred_contact_method=ContactMethodKind.EMAIL,
    )
    EmailConsentFactory(customer=customer, email="one@example.net", opted_out_at=timezone.now())
    page = profile(web, customer)
    assert page.has_label("Email: contactable")
    first = page.html.split('data-email="email1"')[1].split('data-email="email2"')[0]
    second = page.html.split('data-email="email2"')[1].split("</dd>")[0]
    assert "not contactable" in first and "Preferred Method of Contact" not in first
    assert "Preferred Method of Contact" in second and "not contactable" not in second
    assert len(page.with_attr("aria-label", "Preferred Method of Contact")) == 1


def test_an_empty_phone_says_no_number_on_file_not_a_green_check(web, us_store):
    customer = CustomerFactory(dealership=us_store, home_phone="", work_phone="", cell_phone="+13135550103")
    page = profile(web, customer)
    assert page.has_label("Home Phone: no number on file")
    assert not page.has_label("Home Phone: contactable")
    assert page.with_attr("data-contactable", "no_value")
    assert "Home no number on file" in page.text
    assert page.has_label("Cell Phone: contactable")


def test_no_star_and_a_note_when_the_preferred_method_is_unusable(web, us_store):
    customer = CustomerFactory(
        dealership=us_store, home_phone="", preferred_contact_method=ContactMethodKind.HOME_PHONE
    )
    page = profile(web, customer)
    assert not page.has_label("Preferred Method of Contact")
    assert "Preferred method Home Phone is not usable: no number on file." in page.text
    assert page.with_attr("data-dm", "preferred-unusable")
    assert "preferred · not usable" in page.text  # beside the method in the contact-methods panel


def test_an_inactive_customer_is_contactable_by_no_method(web, us_store):
    reason = TurnOffReasonFactory(label="Deceased")
    customer = CustomerFactory(
        dealership=us_store,
        status=CustomerStatus.INACTIVE,
        inactive_reason=reason,
        preferred_contact_method=ContactMethodKind.CELL_PHONE,
    )
    page = profile(web, customer)
    assert page.has_label("Cell Phone: not contactable: the customer is inactive")
    assert not any(label.endswith(": contactable") for label in _method_labels(page))
    assert not page.has_label("Preferred Method of Contact")
    assert "Preferred method Cell Phone is not usable: the customer is inactive." in page.text


def _edit_page(client, customer):
    return Page(client.get(reverse("customers:edit", args=[customer.pk])))


@pytest.mark.parametrize(
    "setup",
    ["opted_out_email", "invalid_email", "empty_phones", "methods_off", "inactive", "duplicate_child", "expired"],
)
def test_profile_and_customer_information_show_the_same_answer(web, ca_store, setup):
    now = timezone.now()
    customer = CustomerFactory(
        dealership=ca_store,
        home_phone="+14165550101",
        work_phone="",
        email2="second@example.net",
        preferred_contact_method=ContactMethodKind.EMAIL,
    )
    reason = TurnOffReasonFactory(label="Customer request")
    if setup == "opted_out_email":
        EmailConsentFactory(customer=customer, email=customer.email1, opted_out_at=now)
        EmailConsentFactory(customer=customer, email="second@example.net", opted_out_at=now)
    elif setup == "invalid_email":
        EmailBounceFactory.create_batch(3, dealership=ca_store, email=customer.email1)
    elif setup == "empty_phones":
        customer.home_phone = customer.cell_phone = ""
        customer.preferred_contact_method = ContactMethodKind.CELL_PHONE
        customer.save()
    elif setup == "methods_off":
        for method in (ContactMethodKind.HOME_PHONE, ContactMethodKind.EMAIL, ContactMethodKind.MAIL):
            ContactMethodFactory(customer=customer, method=method, is_on=False, reason=reason)
    elif setup == "inactive":
        customer.status, customer.inactive_reason = CustomerStatus.INACTIVE, reason
        customer.save()
    elif setup == "duplicate_child":
        parent = CustomerFactory(dealership=ca_store, preferred_contact_method=ContactMethodKind.HOME_PHONE)
        ContactMethodFactory(customer=parent, method=ContactMethodKind.CELL_PHONE, is_on=False, reason=reason)
        customer.merge_parent, customer.merge_relationship = parent, Relationship.DUPLICATE
        customer.save()
    elif setup == "expired":
        EmailConsentFactory(
            customer=customer, email=customer.email1, obtained_at=now - timedelta(days=800), expires_at=now
        )
    profile_page, edit_page = profile(web, customer), _edit_page(web, customer)
    answers = _method_labels(profile_page)
    assert len(answers) == len(ContactMethodKind.values)
    assert answers == _method_labels(edit_page)
    states = {(a["data-method"], a["data-contactable"]) for a in profile_page.with_attr("data-contactable")}
    assert states == {(a["data-method"], a["data-contactable"]) for a in edit_page.with_attr("data-contactable")}
    # The star sits on the same method on both screens, or on neither (with the same note).
    profile_star = bool(profile_page.with_attr("aria-label", "Preferred Method of Contact"))
    edit_star = bool(edit_page.with_attr("aria-label", "Preferred Method of Contact"))
    assert profile_star == edit_star
    notes = [profile_page.context["profile"].preferred_note, edit_page.context["contact_methods"]["preferred_note"]]
    assert notes[0] == notes[1]
    assert bool(notes[0]) is not profile_star
