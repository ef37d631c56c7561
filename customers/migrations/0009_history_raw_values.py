"""History entries written before the audit log stored raw values carried a label and display text per change
({field, label, old, new}). Convert them to {field, old, new} with raw values where the display text can be read
back unambiguously (phones to E.164, Yes/No to booleans, choice labels to codes, reason/advisor names to ids,
contact-method and VIN-type states to {on, reason}); anything else stays as the text it was (it is shown as is).
Self-contained on purpose: a migration must not change meaning when the app code moves on.
"""

import re

import phonenumbers
from django.db import migrations

PHONES = {"home_phone", "work_phone", "cell_phone", "fax"}
BOOLS = {"default_email", "is_fleet", "eservice_registered", "owns", "vin_check_digit_ok"}
CHOICES = {
    "status": {"Active": "active", "Inactive": "inactive"},
    "country": {"United States": "US", "Canada": "CA"},
    "language": {
        "English": "en",
        "French": "fr",
        "Spanish": "es",
        "Chinese": "zh",
        "Punjabi": "pa",
        "Italian": "it",
        "Portuguese": "pt",
        "Other": "other",
    },
    "gender": {"Female": "F", "Male": "M", "Other": "X"},
    "day_night": {"Day": "day", "Night": "night"},
    "kind": {"Person": "person", "Business": "business", "Prospect": "prospect"},
    "preferred_contact_method": {
        "Mailing Address": "mail",
        "Home Phone": "home_phone",
        "Work Phone": "work_phone",
        "Cell Phone": "cell_phone",
        "Email": "email",
    },
    "merge_relationship": {
        "Duplicate": "duplicate",
        "Spouse": "spouse",
        "Family": "family",
        "Business": "business",
        "Friend": "friend",
        "Shared interest": "shared_interest",
    },
}
CONSENT_NAMES = {
    "Basis": "basis",
    "Source": "source",
    "Evidence": "evidence",
    "Obtained": "obtained_at",
    "Expires": "expires_at",
    "Opted out": "opted_out_at",
    "Status": "expired_at",
}
CONSENT_BASIS = {
    "Express consent": "express",
    "Implied by purchase": "implied_purchase",
    "Implied by inquiry": "implied_inquiry",
}
STATE_RE = re.compile(r"^(On|Off|Sold/traded)(?: \((.*)\))?$")
CONSENT_LABEL_RE = re.compile(r"^Email consent \((.*)\): (.*)$")


def _phone(text):
    if not text or text.startswith("+"):
        return text
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _converter(apps):
    TurnOffReason = apps.get_model("customers", "TurnOffReason")
    ServiceAdvisor = apps.get_model("customers", "ServiceAdvisor")
    reasons = {label: pk for pk, label in TurnOffReason.objects.values_list("pk", "label")}
    advisors = {name: pk for pk, name in ServiceAdvisor.objects.values_list("pk", "name")}

    def state(text):
        match = STATE_RE.match(text or "")
        if not match:
            return text
        on = match.group(1) == "On"
        return {"on": on, "reason": None if on else reasons.get(match.group(2))}

    def value(key, text):
        if text is None or text == "":
            return None
        if not isinstance(text, str):
            return text
        if key in PHONES:
            return _phone(text)
        if key in BOOLS or key.endswith(":owns") and text in ("Yes", "No"):
            return {"Yes": True, "No": False}.get(text, text)
        if key in CHOICES:
            return CHOICES[key].get(text, text)
        if key == "inactive_reason":
            return reasons.get(text, text)
        if key == "preferred_advisor":
            return advisors.get(text, text)
        if key.startswith("contact_method:") or key.startswith("vin:"):
            return state(text)
        if key in ("merge_parent", "merge_child"):
            return {"customer": None, "name": text}
        if key == "association":
            relationship, _sep, name = text.partition(": ")
            code = CHOICES["merge_relationship"].get(relationship)
            return {"customer": None, "name": name, "relationship": code} if code else {"customer": None, "name": text}
        return text

    def convert(change):
        if not isinstance(change, dict) or "label" not in change:
            return change
        key = change.get("field", "")
        old, new = change.get("old"), change.get("new")
        if key.startswith("email_consent."):
            match = CONSENT_LABEL_RE.match(change.get("label", ""))
            if match:
                name = CONSENT_NAMES.get(match.group(2), key.split(".", 1)[1])
                key = f"email_consent:{match.group(1)}:{name}"
                if name == "basis":
                    old, new = CONSENT_BASIS.get(old, old), CONSENT_BASIS.get(new, new)
                if name == "expires_at":
                    old, new = (None if v == "Never" else v for v in (old, new))
                if name == "opted_out_at" and new == "Yes":
                    new = "opted out"
                return {"field": key, "old": old or None, "new": new or None}
            return change
        return {"field": key, "old": value(key, old), "new": value(key, new)}

    return convert


def forwards(apps, schema_editor):
    CustomerHistory = apps.get_model("customers", "CustomerHistory")
    convert = _converter(apps)
    batch = []
    for entry in CustomerHistory.objects.only("pk", "changes").iterator(chunk_size=2000):
        changes = entry.changes or []
        if not any(isinstance(c, dict) and "label" in c for c in changes):
            continue
        entry.changes = [convert(c) for c in changes]
        batch.append(entry)
        if len(batch) >= 1000:
            CustomerHistory.objects.bulk_update(batch, ["changes"])
            batch = []
    if batch:
        CustomerHistory.objects.bulk_update(batch, ["changes"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_audit_log")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
