import factory.django
import pytest
from django.apps import apps

from tests.contacts import factories as contact_factories
from tests.customers import factories as customer_factories
from tests.dms_sync import factories as sync_factories

MODULES = [customer_factories, contact_factories, sync_factories]


def _factories():
    for module in MODULES:
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, factory.django.DjangoModelFactory) and obj._meta.model:
                yield obj


def test_every_model_of_the_project_has_a_factory():
    covered = {f._meta.model for f in _factories()}
    ours = {m for app in ("customers", "contacts", "dms_sync") for m in apps.get_app_config(app).get_models()}
    assert ours - covered == set()


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", list(_factories()), ids=lambda f: f.__name__)
def test_each_factory_builds_a_valid_saved_row(model_factory):
    obj = model_factory()
    assert obj.pk is not None
