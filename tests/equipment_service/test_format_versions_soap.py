"""Each format version end to end over raw envelopes: every document the server emits validates against
that version's XSD, an upload in the version's dialect is imported and posted, and a document of another
version is refused with nothing written (PROTOCOL §7, §8; FORMAT-3.1.md §9)."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from lxml import etree

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.codes import position_code
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import FORMATS, get_format
from offline_exchange.models import ExchangeJournalEntry, SkuCode
from offline_exchange.services.sales import FORMAT_ERROR, SUCCESS
from retail.models import CustomerOrder, Item, Price, PriceType, RetailSalesReport, SalesReportExciseStamp
from tests.conftest import assert_valid_as
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db
VERSIONS = sorted(FORMATS)


def on_version(demo, code, shape="positions"):
    device = demo["device"]
    device.format_version, device.goods_shape = code, shape
    device.save()
    return device


def result(client, op, params, code, **kw):
    return assert_valid_as(code, call(client, op, params, **kw).result(op))


def drain(client, device_id, transfer_id, code):
    packages = []
    while True:
        root = result(client, "GetPriceListPackage", [("DeviceID", device_id), ("TransferID", transfer_id),
                                                      ("Restart", "false")], code)
        if root.findtext("{*}IsFormed") != "true":
            return packages
        packages.append(root)
        if root.get("PackageNumber") == root.get("PackageTotal"):
            return packages


def goods_of(packages):
    return [g for p in packages for g in p.iter("{*}Good")]


@pytest.mark.parametrize("shape", ["positions", "nested"])
@pytest.mark.parametrize("code", VERSIONS)
def test_every_document_validates_against_the_versions_xsd(client, demo, device_id, code, shape):
    on_version(demo, code, shape)
    assert call(client, "GetVersion", [("DeviceID", device_id)]).result("GetVersion") == str(code)
    result(client, "GetSettings", [("DeviceID", device_id)], code)

    tid = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")]
               ).result("PrepareFullPriceList")
    full = goods_of(drain(client, device_id, tid, code))
    marked = {g.get("Name") for g in full if g.get("IsMarked")}
    if code == 3000:  # no marking in 3.0: marked goods are left out and named, the rest goes
        assert not marked and not any(g.get("Name").startswith("Сигареты") for g in full)
    else:
        assert "Сигареты «Пример» 20 шт" in marked
    assert any(g.get("IsWeight") == "true" and len(g.get("Code") or "") == 5 for g in full)

    body = Item.objects.get(article="БД-01")
    Price.objects.create(price_type=PriceType.objects.get(), item=body, date=dt.date.today(), value=Decimal("470"))
    tid = call(client, "PreparePriceList", [("DeviceID", device_id)]).result("PreparePriceList")
    changed = goods_of(drain(client, device_id, tid, code))
    assert {g.get("UUID") for g in changed} == {str(body.uuid)}
    assert len(changed) == (3 if shape == "positions" else 1)
    assert {c.get("Price") for c in etree.ElementTree(changed[0]).iter("{*}Characteristic")} == {"470.00"}

    [good] = result(client, "GetGood", [("DeviceID", device_id), ("Barcode", "4601234500062")], code).iter("{*}Good")
    assert good.get("UUID") == str(body.uuid)

    order = CustomerOrder.objects.get()
    for status, cancelled, written in ((CustomerOrder.Status.NOT_AGREED, False, get_format(code).not_agreed_status),
                                       (CustomerOrder.Status.AGREED, False, "Согласован"),
                                       (CustomerOrder.Status.CLOSED, True, "Отменен")):
        order.status, order.is_cancelled = status, cancelled
        order.save()
        root = result(client, "GetDocs", [("DeviceID", device_id), ("DocType", "Order")], code)
        assert root.find("{*}Order").get("Status") == written
    assert written != "НеCогласован" or code <= 3001

    ok = result(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                                     ("Document", dialect_upload(code).decode())], code)
    assert ok.findtext("{*}IsSuccess") == "true"
    refused = result(client, "PostDocs", [("DeviceID", device_id), ("DocType", "Unknown"), ("Document", "")], code)
    assert refused.findtext("{*}IsSuccess") == "false"


def _sku(article: str, **position) -> str:
    item = Item.objects.get(article=article)
    number = SkuCode.objects.get(item=item, characteristic=None, pack=None, **position).number
    return position_code(number, is_weight=item.is_weight)


def dialect_upload(code: int, *, stamps_article="СП-20") -> bytes:
    """A closed shift as a register of this version writes it: two lines, one weighed and one marked."""
    lines = [
        CheckLineDoc(line=0, code=_sku("ЯГ-В"), quantity=Decimal("1.25"), price=Decimal("129.90"),
                     amount=Decimal("162.38"), tax_rate="10", payment_method=4),
        CheckLineDoc(line=0, code=_sku(stamps_article), quantity=Decimal(1), price=Decimal("180.00"),
                     amount=Decimal("180.00"), tax_rate="20", payment_method=4,
                     excise_stamps=["0104600266011725215LdSm8"]),
    ]
    check = CheckDoc(line=0, date=dt.datetime(2024, 6, 1, 10), number="1", taxation_system=0, operation_type=1,
                     uuid=uuid.uuid4(), lines=lines,
                     payments=[PaymentDoc(Decimal("342.38"), Decimal(0), Decimal(0), Decimal(0), Decimal(0))])
    shift = SaleReportDoc(line=0, shift_number=str(code), opened_at=dt.datetime(2024, 6, 1, 9),
                          closed_at=dt.datetime(2024, 6, 1, 21), shift_state=1, uuid=uuid.uuid4(), checks=[check])
    return build_sale_reports([shift], get_format(code))


@pytest.mark.parametrize("code", VERSIONS)
def test_an_upload_in_the_versions_dialect_is_imported_and_posted(client, demo, device_id, code):
    on_version(demo, code)
    article = "СП-20"
    if code == 3003:  # a marking kind that only 3.3 numbers
        Item.objects.filter(article="СМ-350").update(marking_kind=8)
        article = "СМ-350"
    document = dialect_upload(code, stamps_article=article)
    text = document.decode()
    if code == 3000:
        assert "<ShiftState>1</ShiftState>" in text and 'AlcoholExciseStamp="0104600266011725215LdSm8"' in text
    else:
        assert ' ShiftState="1"' in text and "<ExciseStamps><ExciseStamp>" in text
    answer = result(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"), ("Document", text)],
                    code)
    assert (answer.findtext("{*}IsSuccess"), answer.findtext("{*}Description")) == ("true", SUCCESS)
    report = RetailSalesReport.objects.get()
    assert report.posted and report.total == Decimal("342.38") and report.shift_closed
    assert list(SalesReportExciseStamp.objects.values_list("stamp", "item__article")) == [
        ("0104600266011725215LdSm8", article)]
    if code == 3003:
        tid = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")]
                   ).result("PrepareFullPriceList")
        milk = next(g for g in goods_of(drain(client, device_id, tid, code)) if g.get("Article") == "СМ-350")
        assert milk.get("MarkedGoodTypeCode") == "8"


@pytest.mark.parametrize("sent,device", [(3001, 3003), (3003, 3001), (3000, 3001), (3002, 3000), (3003, 3002)])
def test_a_document_of_another_version_is_refused_with_nothing_written(client, demo, device_id, sent, device):
    on_version(demo, device)
    answer = result(client, "PostDocs", [("DeviceID", device_id), ("DocType", "SaleReports"),
                                         ("Document", dialect_upload(sent).decode())], device)
    assert answer.findtext("{*}IsSuccess") == "false"
    description = answer.findtext("{*}Description")
    assert description.startswith(FORMAT_ERROR + "\n") and get_format(sent).namespace in description
    assert not RetailSalesReport.objects.exists()
    entry = ExchangeJournalEntry.objects.get(operation="PostDocs")
    assert entry.status == "refused" and entry.document  # archived, nothing else written


def test_the_33_demo_register_speaks_33(client, demo):
    """The demo's second register: format 3.3, its own cash register, the same rule."""
    device_id = demo["device_33"].device_id
    assert call(client, "GetVersion", [("DeviceID", device_id)]).result("GetVersion") == "3003"
    result(client, "GetSettings", [("DeviceID", device_id)], 3003)
    tid = call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")]
               ).result("PrepareFullPriceList")
    assert len(goods_of(drain(client, device_id, tid, 3003))) == 28


def test_the_33_sample_is_valid_and_imported_by_the_33_register(client, sample_shop):
    """The 3.1 sample in the 3.3 namespace (tests/equipment_service/fixtures): what a 3.3 register uploads."""
    from pathlib import Path

    document = (Path(__file__).parent / "fixtures" / "a_sale_reports_closed_shift_3003.xml").read_bytes()
    assert_valid_as(3003, document)
    sample_shop.device.format_version = 3003
    sample_shop.device.save()
    answer = result(client, "PostDocs", [("DeviceID", "SAMPLE-0001"), ("DocType", "SaleReports"),
                                         ("Document", document.decode())], 3003)
    assert (answer.findtext("{*}IsSuccess"), answer.findtext("{*}Description")) == ("true", SUCCESS)
    assert RetailSalesReport.objects.get().posted
