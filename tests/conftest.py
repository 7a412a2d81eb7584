import base64
from pathlib import Path

import pytest

from backoffice.demo import DEMO_DEVICE_ID, demo_base_create
from offline_exchange.format.versions import FORMAT_3001

# The team's reference material beside the repository: only the reference client's test uses it (and skips
# without it); the schemas and samples the tests need are copied under tests/reference/ (see its README).
SHARED = Path(__file__).resolve().parents[2] / "shared"
REFERENCE = Path(__file__).resolve().parent / "reference"
# 1C's schemas as it ships them in 2026 (3.0.0.3 with VAT 22 % and marking kinds 1..36): every document the
# tests send and receive is validated against these, in every version (research/1c-2026.md).
XSD = REFERENCE / "xsd" / "2026"
SVC_NS = "http://www.1c.ru/EquipmentService"
FMT_NS = FORMAT_3001.namespace


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The default PBKDF2 work factor costs ~0.2 s a call; tests measure behaviour, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from equipment_service.auth import verified
    verified.clear()


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

    path = XSD / "EquipmentService_3_0_0_1.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def assert_valid(xsd_schema, document: bytes | str):
    """Validate an emitted document against the format XSD (tests/reference/xsd/2026)."""
    from lxml import etree

    if isinstance(document, str):
        document = document.encode("utf-8")
    root = etree.fromstring(document)
    assert root.nsmap.get(None) == FMT_NS, root.nsmap
    ok = xsd_schema.validate(root)
    assert ok, "\n".join(str(e) for e in xsd_schema.error_log)
    return root


SAMPLES = REFERENCE / "samples"


def sample(name: str) -> bytes:
    """A document from the reference samples (tests/reference/samples: valid/ or malformed/)."""
    matches = list(SAMPLES.glob(f"*/{name}"))
    assert len(matches) == 1, name
    return matches[0].read_bytes()


@pytest.fixture
def sample_shop(db):
    """The base the reference sale-report samples were written against: codes 00001–00004."""
    import uuid
    from decimal import Decimal
    from types import SimpleNamespace

    from offline_exchange.models import PaymentKind
    from tests import factories as f

    org = f.OrganizationFactory(name="ООО «Образец»", number_prefix="ОБ")
    store = f.StoreFactory(name="Магазин на Плехановской")
    warehouse = f.WarehouseFactory(store=store, name="Торговый зал")
    device = f.OfflineDeviceFactory(name="Мобильная касса 1", organization=org, device_id="SAMPLE-0001",
                                    rule=f.ExchangeRuleFactory(warehouse=warehouse))
    card = f.PaymentKindFactory(name="Оплата картой", type=PaymentKind.Type.PAYMENT_CARD)
    register = f.CashRegisterFactory(name="Касса 1 (офлайн)", organization=org, store=store, device=device)
    f.PaymentMappingFactory(cash_register=register, code="1", payment_kind=card)
    kg = f.UnitFactory(name="кг", okei_code="166")
    from django.contrib.auth.models import Group, Permission, User

    from backoffice.demo import SYNC_GROUP
    group, _ = Group.objects.get_or_create(name=SYNC_GROUP)  # a transactional test flushes the migration's
    group.permissions.add(Permission.objects.get(codename="sync_data"))
    sync = User.objects.create_user("sync", password="sync")
    sync.groups.add(group)
    device.users.add(sync)

    def u(text):
        return uuid.UUID(text)

    apples = f.ItemFactory(name="Яблоки, вес.", uuid=u("c0a80101-0001-4e5f-a1b2-0000000000a1"), vat_rate="10",
                           is_weight=True, base_unit=kg)
    shirt = f.ItemFactory(name="Футболка", uuid=u("c0a80101-0002-4e5f-a1b2-0000000000a2"), vat_rate="20")
    size_m = f.CharacteristicFactory(item=shirt, name="M", uuid=u("c0a80101-0002-4e5f-a1b2-0000000c0001"))
    size_l = f.CharacteristicFactory(item=shirt, name="L", uuid=u("c0a80101-0002-4e5f-a1b2-0000000c0002"))
    water = f.ItemFactory(name="Вода 0,5 л", uuid=u("c0a80101-0003-4e5f-a1b2-0000000000a3"), vat_rate="20")
    six = f.PackFactory(item=water, name="Упаковка 6 шт", coefficient=Decimal(6),
                        uuid=u("c0a80101-0003-4e5f-a1b2-0000000b0006"))
    cigarettes = f.ItemFactory(name="Сигареты", uuid=u("c0a80101-0004-4e5f-a1b2-0000000000a4"), vat_rate="20",
                               marking_kind=2)
    for number, item in ((1, apples), (2, shirt), (3, water), (4, cigarettes)):
        f.SkuCodeFactory(number=number, item=item)
    return SimpleNamespace(org=org, store=store, warehouse=warehouse, device=device, register=register, card=card,
                           apples=apples, shirt=shirt, size_m=size_m, size_l=size_l, water=water, six=six,
                           cigarettes=cigarettes)


_SCHEMAS: dict = {}


def format_xsd(code: int):
    """The XSD of a format version (tests/reference/xsd/2026)."""
    from lxml import etree

    if code not in _SCHEMAS:
        _SCHEMAS[code] = etree.XMLSchema(etree.parse(str(XSD / f"EquipmentService_3_0_0_{code - 3000}.xsd")))
    return _SCHEMAS[code]


def assert_valid_as(code: int, document: bytes | str):
    """Validate an emitted document against its version's XSD, in its version's namespace."""
    from lxml import etree

    if isinstance(document, str):
        document = document.encode("utf-8")
    root = etree.fromstring(document)
    assert root.nsmap.get(None) == f"http://www.1c.ru/EquipmentService/3.0.0.{code - 3000}", root.nsmap
    schema = format_xsd(code)
    assert schema.validate(root), "\n".join(str(e) for e in schema.error_log)
    return root
