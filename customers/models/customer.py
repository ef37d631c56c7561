"""The customer file and its choices.

The schema is designed once for the whole product (DESIGN §4); later work adds behaviour, not tables.
Business rules live in services/selectors and in the small model methods below, never in save().
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .stores import Country, Dealership, ServiceAdvisor, TurnOffReason


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    BUSINESS = "business", pgettext_lazy("customer type", "Business")
    PROSPECT = "prospect", _("Prospect")


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("customer status", "Active")
    INACTIVE = "inactive", pgettext_lazy("customer status", "Inactive")


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", pgettext_lazy("gender", "Other")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")
    SPANISH = "es", _("Spanish")
    CHINESE = "zh", _("Chinese")
    PUNJABI = "pa", _("Punjabi")
    ITALIAN = "it", _("Italian")
    PORTUGUESE = "pt", _("Portuguese")
    OTHER = "other", pgettext_lazy("language", "Other")


class DayNight(models.TextChoices):
    DAY = "day", pgettext_lazy("time to call", "Day")
    NIGHT = "night", pgettext_lazy("time to call", "Night")


class ContactMethodKind(models.TextChoices):
    MAIL = "mail", _("Mailing Address")
    HOME_PHONE = "home_phone", _("Home Phone")
    WORK_PHONE = "work_phone", _("Work Phone")
    CELL_PHONE = "cell_phone", _("Cell Phone")
    EMAIL = "email", _("Email")


class Relationship(models.TextChoices):
    DUPLICATE = "duplicate", pgettext_lazy("relationship", "Duplicate")
    SPOUSE = "spouse", pgettext_lazy("relationship", "Spouse")
    FAMILY = "family", pgettext_lazy("relationship", "Family")
    BUSINESS = "business", pgettext_lazy("relationship", "Business")
    FRIEND = "friend", pgettext_lazy("relationship", "Friend")
    SHARED_INTEREST = "shared_interest", pgettext_lazy("relationship", "Shared interest")


def has_value(field: str) -> Q:
    """`field <> ''`: the condition of the partial indexes on optional text columns (phones, e-mails; the
    company-name search index of migration 0005 too). A query that should use one of those indexes repeats it,
    because PostgreSQL uses a partial index only when the query implies the index's condition."""
    return ~Q(**{field: ""})


class Customer(models.Model):
    # Indexed by the store-led unique and search indexes (see Meta): a single-column index would only cost writes.
    dealership = models.ForeignKey(Dealership, on_delete=models.PROTECT, related_name="customers", db_index=False)
    dealermine_number = models.PositiveBigIntegerField(_("DealerMine number"))
    dms_number = models.CharField(_("DMS customer number"), max_length=32, blank=True)
    kind = models.CharField(max_length=10, choices=CustomerKind.choices, default=CustomerKind.PERSON)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    entered_by_name = models.CharField(
        max_length=120, blank=True, help_text=_("Who entered a prospect (a user or the DMS salesperson).")
    )

    first_name = models.CharField(max_length=60, blank=True)
    middle_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    other_name = models.CharField(_("Other (company) name"), max_length=120, blank=True)
    contact_name = models.CharField(max_length=120, blank=True)
    address_to = models.CharField(_("Address To"), max_length=160, blank=True)

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
    state = models.CharField(_("State/Province"), max_length=40, blank=True)
    postal_code = models.CharField(_("Postal/ZIP"), max_length=12, blank=True)
    county = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, choices=Country.choices, blank=True)

    birth_date = models.DateField(null=True, blank=True)
    is_fleet = models.BooleanField(_("Fleet"), default=False)
    language = models.CharField(max_length=8, choices=Language.choices, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    day_night = models.CharField(_("Day/Night"), max_length=5, choices=DayNight.choices, blank=True)
    preferred_advisor = models.ForeignKey(
        ServiceAdvisor, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers", db_index=False
    )
    twitter_handle = models.CharField(_("Twitter"), max_length=16, blank=True)

    # Phones are stored in E.164 (e.g. +14165550123); the display form is derived with phonenumbers.
    home_phone = models.CharField(max_length=20, blank=True)
    work_phone = models.CharField(max_length=20, blank=True)
    work_ext = models.CharField(_("Work ext."), max_length=10, blank=True)
    cell_phone = models.CharField(max_length=20, blank=True)
    fax = models.CharField(max_length=20, blank=True)
    email1 = models.EmailField(_("Email 1"), max_length=254, blank=True)
    email2 = models.EmailField(_("Email 2"), max_length=254, blank=True)
    default_email = models.BooleanField(
        _("Default Email"), default=False, help_text=_("When set, Email 1 is required.")
    )
    preferred_contact_method = models.CharField(max_length=12, choices=ContactMethodKind.choices, blank=True)

    eservice_registered = models.BooleanField(_("eService registered"), default=False)
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
    last_ro_date = models.DateField(
        _("Last RO date"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The newest closed date of the customer's repair orders, kept up to date whenever repair orders "
            "are written. Call Select sorts by it."
        ),
    )

    merge_parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merge_children", db_index=False
    )
    merge_relationship = models.CharField(max_length=20, choices=Relationship.choices, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    merge_snapshot = models.JSONField(
        default=dict, blank=True, help_text=_("The child's own state at merge time, restored by unmerge.")
    )

    # DMS bookkeeping for the nightly pull.
    dms_last_change_date = models.DateField(null=True, blank=True)
    dms_row_hash = models.CharField(max_length=64, blank=True, help_text=_("Hash of the last applied DMS row."))
    user_edited_at = models.JSONField(
        default=dict, blank=True, help_text=_("Field name -> when a person last edited it (dms_sync.precedence).")
    )
    dms_base = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "The DMS's last-sent value (raw) of each field a person has changed since, and each allow_* flag the "
            "DMS last sent as N; every other field's base is its current value (dms_sync.precedence)."
        ),
    )

    version = models.PositiveIntegerField(default=1, help_text=_("Optimistic lock: bumped by every save."))
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
            # The registry's phone and email fields (customers.fields, which imports this module, so the names are
            # repeated here; tests/test_architecture.py keeps them equal).
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
        return self.display_name or gettext("Customer %(number)s") % {"number": self.dealermine_number}

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
