"""Stores, people and the customer file.

The schema is designed once for the whole product (DESIGN §4); later work adds behaviour, not tables.
Business rules live in services/selectors and in the small model methods below, never in save().
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


class Country(models.TextChoices):
    US = "US", "United States"
    CA = "CA", "Canada"


class DmsVendor(models.TextChoices):
    CDK = "cdk", "CDK"
    REYNOLDS = "reynolds", "Reynolds & Reynolds"
    DEALERTRACK = "dealertrack", "Dealertrack"
    TEKION = "tekion", "Tekion"
    OTHER = "other", "Other"


class DmsAdapter(models.TextChoices):
    NONE = "none", "No DMS connection"
    FILE_DROP = "file_drop", "File drop (nightly extract)"
    HTTP_API = "http_api", "HTTP API"


class Dealership(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text="Short store code used in DMS paths and commands.")
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, choices=Country.choices, default=Country.US)
    time_zone = models.CharField(max_length=64, default="America/Toronto", validators=[validate_time_zone])
    dms_vendor = models.CharField(max_length=20, choices=DmsVendor.choices, default=DmsVendor.OTHER)
    dms_adapter = models.CharField(max_length=20, choices=DmsAdapter.choices, default=DmsAdapter.NONE)
    dms_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text="Adapter settings, e.g. file drop: drop_dir, outbox_dir; HTTP API: base_url, token_url, "
        "client_id, client_secret, timeout.",
    )
    nightly_pull_time = models.TimeField(default="02:00", help_text="Local time (store time zone) of the DMS pull.")
    email_bounce_limit = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text="An address that bounced this many times is invalid (1-9).",
    )
    has_showroom_equity = models.BooleanField("Showroom/Equity module", default=False)
    bounce_webhook_secret = models.CharField(
        max_length=128, blank=True, help_text="Shared secret the email provider signs bounce webhooks with."
    )
    next_dealermine_number = models.PositiveBigIntegerField(
        default=100001, editable=False, help_text="Next DealerMine customer number to hand out."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email_bounce_limit__gte=1) & Q(email_bounce_limit__lte=9),
                name="dealership_bounce_limit_1_9",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_canadian(self):
        return self.country == Country.CA

    @property
    def is_reynolds(self):
        return self.dms_vendor == DmsVendor.REYNOLDS


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Appointment coordinator"
    MANAGER = "manager", "Manager"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COORDINATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "dealership"], name="membership_unique_user_store")]

    def __str__(self):
        return f"{self.user} @ {self.dealership.code} ({self.get_role_display()})"


class ServiceAdvisor(models.Model):
    """A store's service advisor, the choices for a customer's preferred advisor."""

    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="advisors")
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["dealership", "name"], name="advisor_unique_name_per_store")]

    def __str__(self):
        return self.name


class TurnOffReason(models.Model):
    """A "Turn Off Management" reason code. A code with no dealership is offered to every store."""

    dealership = models.ForeignKey(
        Dealership, null=True, blank=True, on_delete=models.CASCADE, related_name="turn_off_reasons"
    )
    code = models.CharField(max_length=20)
    label = models.CharField(max_length=120)
    applies_to_status = models.BooleanField("Customer inactivation", default=False)
    applies_to_contact_method = models.BooleanField("Contact methods", default=False)
    applies_to_vin_contact_type = models.BooleanField("VIN contact types", default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]
        verbose_name = "turn off reason"
        constraints = [
            models.UniqueConstraint(fields=["dealership", "code"], name="turnoff_unique_code_per_store"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(dealership__isnull=True), name="turnoff_unique_global_code"
            ),
        ]

    def __str__(self):
        return f"{self.code} - {self.label}"


class CustomerKind(models.TextChoices):
    PERSON = "person", "Person"
    BUSINESS = "business", "Business"
    PROSPECT = "prospect", "Prospect"


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class Gender(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "X", "Other"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    FRENCH = "fr", "French"
    SPANISH = "es", "Spanish"
    CHINESE = "zh", "Chinese"
    PUNJABI = "pa", "Punjabi"
    ITALIAN = "it", "Italian"
    PORTUGUESE = "pt", "Portuguese"
    OTHER = "other", "Other"


class DayNight(models.TextChoices):
    DAY = "day", "Day"
    NIGHT = "night", "Night"


class ContactMethodKind(models.TextChoices):
    MAIL = "mail", "Mailing Address"
    HOME_PHONE = "home_phone", "Home Phone"
    WORK_PHONE = "work_phone", "Work Phone"
    CELL_PHONE = "cell_phone", "Cell Phone"
    EMAIL = "email", "Email"


class Relationship(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate"
    SPOUSE = "spouse", "Spouse"
    FAMILY = "family", "Family"
    BUSINESS = "business", "Business"
    FRIEND = "friend", "Friend"
    SHARED_INTEREST = "shared_interest", "Shared interest"


def has_value(field: str) -> Q:
    """`field <> ''`: the condition of the partial indexes on optional text columns (phones, e-mails; the
    company-name search index of migration 0005 too). A query that should use one of those indexes repeats it,
    because PostgreSQL uses a partial index only when the query implies the index's condition."""
    return ~Q(**{field: ""})


class Customer(models.Model):
    # Indexed by the store-led unique and search indexes (see Meta): a single-column index would only cost writes.
    dealership = models.ForeignKey(Dealership, on_delete=models.PROTECT, related_name="customers", db_index=False)
    dealermine_number = models.PositiveBigIntegerField("DealerMine number")
    dms_number = models.CharField("DMS customer number", max_length=32, blank=True)
    kind = models.CharField(max_length=10, choices=CustomerKind.choices, default=CustomerKind.PERSON)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    entered_by_name = models.CharField(
        max_length=120, blank=True, help_text="Who entered a prospect (a user or the DMS salesperson)."
    )

    first_name = models.CharField(max_length=60, blank=True)
    middle_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    other_name = models.CharField("Other (company) name", max_length=120, blank=True)
    contact_name = models.CharField(max_length=120, blank=True)
    address_to = models.CharField("Address To", max_length=160, blank=True)

    status = models.CharField(max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    inactive_reason = models.ForeignKey(
        TurnOffReason,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inactive_customers",
        db_index=False,
    )
    inactivated_at = models.DateTimeField(null=True, blank=True)
    inactivated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    address1 = models.CharField(max_length=120, blank=True)
    address2 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField("State/Province", max_length=40, blank=True)
    postal_code = models.CharField("Postal/ZIP", max_length=12, blank=True)
    county = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, choices=Country.choices, blank=True)

    birth_date = models.DateField(null=True, blank=True)
    is_fleet = models.BooleanField("Fleet", default=False)
    language = models.CharField(max_length=8, choices=Language.choices, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    day_night = models.CharField("Day/Night", max_length=5, choices=DayNight.choices, blank=True)
    preferred_advisor = models.ForeignKey(
        ServiceAdvisor, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers", db_index=False
    )
    twitter_handle = models.CharField("Twitter", max_length=16, blank=True)

    # Phones are stored in E.164 (e.g. +14165550123); the display form is derived with phonenumbers.
    home_phone = models.CharField(max_length=20, blank=True)
    work_phone = models.CharField(max_length=20, blank=True)
    work_ext = models.CharField("Work ext.", max_length=10, blank=True)
    cell_phone = models.CharField(max_length=20, blank=True)
    fax = models.CharField(max_length=20, blank=True)
    email1 = models.EmailField("Email 1", max_length=254, blank=True)
    email2 = models.EmailField("Email 2", max_length=254, blank=True)
    default_email = models.BooleanField("Default Email", default=False, help_text="When set, Email 1 is required.")
    preferred_contact_method = models.CharField(max_length=12, choices=ContactMethodKind.choices, blank=True)

    eservice_registered = models.BooleanField("eService registered", default=False)
    star_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    likely_to_buy = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    labour_sales_total = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    sold_salesperson = models.CharField(max_length=120, blank=True)
    last_sold_date = models.DateField(null=True, blank=True)
    reassigned_salesperson = models.CharField(max_length=120, blank=True)
    reassigned_date = models.DateField(null=True, blank=True)
    activity_salesperson = models.CharField(max_length=120, blank=True)
    last_activity_date = models.DateField(null=True, blank=True)
    last_contact_date = models.DateField(null=True, blank=True)

    merge_parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merge_children", db_index=False
    )
    merge_relationship = models.CharField(max_length=20, choices=Relationship.choices, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    merge_snapshot = models.JSONField(
        default=dict, blank=True, help_text="The child's own state at merge time, restored by unmerge."
    )

    # DMS bookkeeping for the nightly pull.
    dms_last_change_date = models.DateField(null=True, blank=True)
    dms_row_hash = models.CharField(max_length=64, blank=True, help_text="Hash of the last applied DMS row.")
    user_edited_at = models.JSONField(
        default=dict, blank=True, help_text="Field name -> when a user last edited it (wins over older DMS rows)."
    )

    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: bumped by every save.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dealership", "dms_number"],
                condition=~Q(dms_number=""),
                name="customer_unique_dms_number_per_store",
            ),
            models.UniqueConstraint(
                fields=["dealership", "dealermine_number"], name="customer_unique_dealermine_number_per_store"
            ),
            models.CheckConstraint(
                condition=Q(star_rating__isnull=True) | (Q(star_rating__gte=0) & Q(star_rating__lte=10)),
                name="customer_star_rating_0_10",
            ),
            models.CheckConstraint(
                condition=Q(likely_to_buy__isnull=True) | (Q(likely_to_buy__gte=1) & Q(likely_to_buy__lte=3)),
                name="customer_likely_to_buy_1_3",
            ),
            models.CheckConstraint(
                condition=Q(status="active") | Q(inactive_reason__isnull=False),
                name="customer_inactive_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["dealership", "last_name", "first_name"], name="customer_store_name_idx"),
            # Phones and emails are indexed only where present (many customers have no work phone, fax or
            # second email): a lookup must repeat the condition (`~Q(home_phone="")`) for PostgreSQL to use them.
            *(
                models.Index(fields=[name], condition=has_value(name), name=f"customer_{name}_idx")
                for name in ("home_phone", "work_phone", "cell_phone", "fax")
            ),
            models.Index(Lower("email1"), condition=has_value("email1"), name="customer_email1_lower_idx"),
            models.Index(Lower("email2"), condition=has_value("email2"), name="customer_email2_lower_idx"),
            models.Index(Lower("last_name"), name="customer_last_name_lower_idx"),
            # The optional references are indexed only where set: a bulk load of new customers writes no entries
            # for them, and the lookups that need them (a user, reason or advisor being deleted, a parent's
            # merged files) ask for a value, which implies NOT NULL, so the planner uses the partial index.
            *(
                models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"customer_{short}_set_idx")
                for name, short in (
                    ("merge_parent", "parent"),
                    ("entered_by", "enteredby"),
                    ("inactivated_by", "inactby"),
                    ("inactive_reason", "inactreason"),
                    ("preferred_advisor", "advisor"),
                )
            ),
        ]

    def __str__(self):
        return self.display_name or f"Customer {self.dealermine_number}"

    @property
    def full_name(self):
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    @property
    def display_name(self):
        """The person's name, or the other (company) name when there is none."""
        return self.full_name or self.other_name

    @property
    def is_prospect(self):
        return self.kind == CustomerKind.PROSPECT

    @property
    def is_active(self):
        return self.status == CustomerStatus.ACTIVE

    @property
    def is_duplicate_child(self):
        return self.merge_parent_id is not None and self.merge_relationship == Relationship.DUPLICATE

    @property
    def dealermine_number_display(self):
        """Prospects carry the -4 suffix, as in the product."""
        return f"{self.dealermine_number}-4" if self.is_prospect else str(self.dealermine_number)


class Vehicle(models.Model):
    # Indexed by the (customer, vin) unique constraint, which leads with it.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicles", db_index=False)
    vin = models.CharField("VIN", max_length=17)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    make = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=60, blank=True)
    delivery_date = models.DateField(null=True, blank=True)
    owns = models.BooleanField(default=True, help_text="Off means the vehicle was sold or traded.")
    owns_reason = models.ForeignKey(
        TurnOffReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    vin_check_digit_ok = models.BooleanField(default=True, help_text="False: imported with a failing check digit.")
    dms_row_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "vin"]
        constraints = [models.UniqueConstraint(fields=["customer", "vin"], name="vehicle_unique_vin_per_customer")]
        indexes = [
            models.Index(fields=["vin"], name="vehicle_vin_idx"),
            models.Index(
                fields=["owns_reason"], condition=Q(owns_reason__isnull=False), name="vehicle_owns_reason_set_idx"
            ),
        ]

    def __str__(self):
        return " ".join(str(p) for p in (self.year, self.make, self.model, self.vin) if p)


class VinContactType(models.TextChoices):
    """VIN-specific contact types other than Owns (which is Vehicle.owns)."""

    MAINTENANCE = "maintenance", "Maintenance"
    CSI = "csi", "CSI"
    CONFIRM_APPT = "confirm_appt", "Confirm Appt"
    NO_SHOW = "no_show", "No Show"
    SPORD = "spord", "Spord"
    RECALLS = "recalls", "Recalls"
    MVI = "mvi", "MVI"
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


class VehicleContactType(models.Model):
    """State of one contact type for one VIN. No row means the type is on (the common case)."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="contact_types")
    contact_type = models.CharField(max_length=20, choices=VinContactType.choices)
    is_on = models.BooleanField(default=True)
    reason = models.ForeignKey(TurnOffReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vehicle", "contact_type"], name="vehicle_contact_type_unique"),
            models.CheckConstraint(condition=Q(is_on=True) | Q(reason__isnull=False), name="vct_off_has_reason"),
        ]

    def __str__(self):
        return f"{self.vehicle.vin} {self.get_contact_type_display()}: {'on' if self.is_on else 'off'}"


class HistorySource(models.TextChoices):
    USER = "user", "User"
    DMS_SYNC = "dms_sync", "DMS sync"
    MERGE = "merge", "Merge"
    IMPORT = "import", "Import"
    SYSTEM = "system", "System"


class CustomerHistory(models.Model):
    """One entry per save: who or what changed the file, and each field's old -> new value."""

    # Indexed by history_customer_recent_idx, which leads with it.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="history", db_index=False)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=10, choices=HistorySource.choices, default=HistorySource.USER)
    actor_label = models.CharField(max_length=120, blank=True, help_text="e.g. 'DMS sync', 'import: optouts.csv'.")
    action = models.CharField(max_length=30, default="update")
    changes = models.JSONField(default=list, help_text="[{field, label, old, new}, ...]")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "customer history"
        indexes = [models.Index(fields=["customer", "-created_at", "-id"], name="history_customer_recent_idx")]

    def __str__(self):
        return f"{self.customer_id} {self.action} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def who(self):
        if self.actor_label:
            return self.actor_label
        if self.actor_id:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.get_source_display()


class VerificationStamp(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="verifications")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField()

    class Meta:
        ordering = ["-verified_at"]
        indexes = [models.Index(fields=["customer", "-verified_at"], name="verification_recent_idx")]

    def __str__(self):
        return f"{self.customer_id} verified {self.verified_at:%Y-%m-%d}"


class Association(models.Model):
    """Influence Network link between two customers of the same store; shown from both sides."""

    from_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="associations_from")
    to_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="associations_to")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_customer", "to_customer"], name="association_unique_pair"),
            models.CheckConstraint(condition=~Q(from_customer=models.F("to_customer")), name="association_not_self"),
        ]

    def __str__(self):
        return f"{self.from_customer_id} -{self.relationship}- {self.to_customer_id}"


class Inquiry(models.Model):
    """INQ: the customer was looked up (opened from a search) by a user."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="inquiries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "inquiries"
        indexes = [models.Index(fields=["customer", "-created_at"], name="inquiry_recent_idx")]

    def __str__(self):
        return f"INQ {self.customer_id} {self.created_at:%Y-%m-%d}"


class RepairOrder(models.Model):
    # Both indexed by the multi-column indexes in Meta that lead with them.
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="repair_orders", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="repair_orders", db_index=False)
    ro_number = models.CharField("RO number", max_length=32)
    vin = models.CharField("VIN", max_length=17, blank=True)
    closed_date = models.DateField(null=True, blank=True)
    labour_sale = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    parts_sale = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    dms_row_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-closed_date", "-ro_number"]
        constraints = [models.UniqueConstraint(fields=["dealership", "ro_number"], name="ro_unique_number_per_store")]
        indexes = [models.Index(fields=["customer", "-closed_date"], name="ro_customer_recent_idx")]

    def __str__(self):
        return f"RO {self.ro_number}"
