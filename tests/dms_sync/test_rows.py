"""dms_sync.rows reads the customer columns the field registry declares (customers.fields.DMS_COLUMNS), with the
model's limits: a field added to the registry with a DMS column is loaded without a second list to update."""

import pytest

from customers.fields import DMS_COLUMNS, PHONE_FIELDS
from customers.models import Customer
from dms_sync.rows import FLAG_METHODS, TEXT_COLUMNS, RowError, customer_values

from .extracts import customer_row


def test_every_dms_column_of_the_field_registry_is_loaded_into_its_field():
    values, flags = customer_values(customer_row("1"), store_country="US")
    assert set(DMS_COLUMNS.values()) <= set(values)
    assert set(flags) == set(FLAG_METHODS)


@pytest.mark.parametrize("column", sorted(TEXT_COLUMNS))
def test_a_text_column_longer_than_its_model_field_quarantines_the_row(column):
    field = DMS_COLUMNS[column]
    limit = Customer._meta.get_field(field).max_length
    assert customer_values(customer_row("1", **{column: "x" * limit}), store_country="US")[0][field] == "x" * limit
    with pytest.raises(RowError, match=f"{column}: longer than {limit}"):
        customer_values(customer_row("1", **{column: "x" * (limit + 1)}), store_country="US")


def test_allow_phone_covers_every_phone_field_that_is_a_contact_method():
    assert set(FLAG_METHODS["allow_phone"]) == set(PHONE_FIELDS) - {"fax"}
