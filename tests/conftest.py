import base64
from pathlib import Path

import pytest

from offline_exchange.format.versions import FORMAT_3001
from retail.services.demo import DEMO_DEVICE_ID, demo_base_create

SHARED = Path(__file__).resolve().parents[2] / "shared"
REFERENCE = SHARED / "reference"
SVC_NS = "http://www.1c.ru/EquipmentService"
FMT_NS = FORMAT_3001.namespace


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The default PBKDF2 work factor costs ~0.2 s a call; tests measure behaviour, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return demo_base_create()


@pytest.fixture
def device_id():
    return DEMO_DEVICE_ID


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def xsd():
    from lxml import etree

    path = REFERENCE / "xsd" / "EquipmentService_3_0_0_1.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def assert_valid(xsd_schema, document: bytes | str):
    """Validate an emitted document against the format XSD in the shared reference."""
    from lxml import etree

    if isinstance(document, str):
        document = document.encode("utf-8")
    root = etree.fromstring(document)
    assert root.nsmap.get(None) == FMT_NS, root.nsmap
    ok = xsd_schema.validate(root)
    assert ok, "\n".join(str(e) for e in xsd_schema.error_log)
    return root


