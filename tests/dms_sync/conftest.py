import pytest

from customers.models import DmsAdapter
from dealermine.celery import app as celery_app
from dms_sync.sample_extract import ExtractSpec, extract_write


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process unless a test starts a real worker (CI's PostgreSQL run sets a broker URL)."""
    if request.node.get_closest_marker("services"):
        yield
        return
    old = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = old


@pytest.fixture
def dms_dirs(tmp_path, settings):
    settings.DMS_DROP_ROOT = tmp_path / "drop"
    settings.DMS_OUTBOX_ROOT = tmp_path / "outbox"
    return settings.DMS_DROP_ROOT, settings.DMS_OUTBOX_ROOT


@pytest.fixture
def file_store(us_store, dms_dirs):
    us_store.dms_adapter = DmsAdapter.FILE_DROP
    us_store.save(update_fields=["dms_adapter"])
    return us_store


@pytest.fixture
def write_extract(dms_dirs, file_store):
    """write_extract(customers=N, **spec) -> the extract folder for the US file-drop store."""

    def write(**kwargs):
        spec = ExtractSpec(dealership_code=file_store.code, country=file_store.country, **kwargs)
        return extract_write(spec=spec, out_dir=dms_dirs[0], extract=kwargs.pop("extract", None))

    return write
