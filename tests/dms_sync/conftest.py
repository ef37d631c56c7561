import pytest

from customers.models import DmsAdapter
from dealermine.celery import app as celery_app
from dms_sync.sample_extract import ExtractSpec, extract_generate, extract_write
from tests.support.fake_dms import FakeDms


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


# --- the HTTP API adapter against the fake DMS on loopback (tests/support/fake_dms.py) -------------------------


@pytest.fixture
def fake_dms():
    with FakeDms(client_id="dm-test", client_secret="s3cret") as dms:
        yield dms


@pytest.fixture
def api_store(us_store, fake_dms):
    """The US store pulling from the fake DMS: pages of 7, fast timeouts and retries."""
    us_store.dms_adapter = DmsAdapter.HTTP_API
    us_store.dms_settings = fake_dms.dms_settings(page_size=7, timeout=0.5, retry_base_seconds=0.05, pull_attempts=4)
    us_store.save(update_fields=["dms_adapter", "dms_settings"])
    return us_store


@pytest.fixture
def api_extract(api_store, fake_dms):
    """30 customers (5 pages of 7) with their vehicles and repair orders, served by the fake DMS."""
    extract = extract_generate(ExtractSpec(dealership_code=api_store.code, customers=30, seed=3))
    fake_dms.load_extract(extract)
    return extract
