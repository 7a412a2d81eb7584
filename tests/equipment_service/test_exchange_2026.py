"""1C as of 2026 over raw envelopes (research/1c-2026.md): VAT 22 % only in 3.3, marking the way 1C writes it,
nothing outside a version's 2026 schema in any document, the goods held back named with the way out, and a
3.3 upload with 22/122 imported."""
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from offline_exchange.format.builders import build_sale_reports
from offline_exchange.format.sale_reports import CheckDoc, CheckLineDoc, PaymentDoc, SaleReportDoc
from offline_exchange.format.versions import FORMATS, get_format
from offline_exchange.models import ExchangeJournalEntry, SkuCode, Transfer
from offline_exchange.services.sales import SUCCESS
from offline_exchange.services.transfers import LEFT_OUT_OPERATION
from retail.models import Item, SalesReportGoodsLine
from tests.conftest import assert_valid_as
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db
VERSIONS = sorted(FORMATS)
PUZZLE, MILK, SANDALS, CIGARETTES = ("СТЕР Пазл 1000 Английский котенок", "Смесь молочная 350 г",
                                     "Сандалии детские кожаные", "Сигареты «Пример» 20 шт")


def result(client, op, params, code):
    return assert_valid_as(code, call(client, op, params).result(op))


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


@pytest.fixture
def goods_2026(demo):
    """The demo's puzzle at VAT 22 % and its infant formula marked as dairy (kind 6, named in 3.3 only)."""
    Item.objects.filter(name=PUZZLE).update(vat_rate="22")
    Item.objects.filter(name=MILK).update(marking_kind=Item.MarkingKind.DAIRY, classification_code="10.86.10")
    return demo


@pytest.mark.parametrize("code", VERSIONS)
def test_lists_of_every_version_carry_only_what_its_2026_schema_has(client, goods_2026, admin_client, code):
    device = goods_2026["device"]
    device.format_version = code
    device.save()
    assert call(client, "GetVersion", [("DeviceID", device.device_id)]).result("GetVersion") == str(code)
    result(client, "GetSettings", [("DeviceID", device.device_id)], code)
    tid = call(client, "PrepareFullPriceList", [("DeviceID", device.device_id), ("FullPriceList", "true")]
               ).result("PrepareFullPriceList")
    # Every package validates against this version's 2026 schema: no value outside it anywhere.
    goods = {g.get("Name"): g for p in drain(client, device.device_id, tid, code) for g in p.iter("{*}Good")}
    single = result(client, "GetPriceList", [("DeviceID", device.device_id)], code)
    assert {g.get("Name") for g in single.iter("{*}Good")} <= set(goods)

    held = Transfer.objects.get(pk=tid).left_out
    if code == 3003:
        assert goods[PUZZLE].get("TaxRate") == "22"
        assert (goods[MILK].get("IsMarked"), goods[MILK].get("MarkedGoodTypeCode")) == ("true", "6")
        assert not held
    else:
        assert PUZZLE not in goods and "«СТЕР Пазл 1000 Английский котенок» (ставку НДС 22%)" in held
        assert "22" not in {g.get("TaxRate") for g in goods.values()}
        assert "Переведите кассу на формат обмена 3.3" in held
    if code in (3001, 3002):  # a code for fur, tobacco and shoes only; dairy as IsMarked alone, as 1C writes it
        assert (goods[MILK].get("IsMarked"), goods[MILK].get("MarkedGoodTypeCode")) == ("true", None)
        assert goods[SANDALS].get("MarkedGoodTypeCode") == "3" and goods[CIGARETTES].get("MarkedGoodTypeCode") == "2"
    if code == 3000:  # no marking in 3.0: 1C refuses the whole list; we hold the marked goods back and say so
        assert not {MILK, SANDALS, CIGARETTES} & set(goods)
        assert all(g.get("IsMarked") is None for g in goods.values())
        assert f"«{MILK}» (маркируемую продукцию)" in held
    if code < 3002:  # the classification code only from 3.2
        assert all(g.get("GoodClassificationCode") is None for g in goods.values())
    else:
        assert goods[MILK].get("GoodClassificationCode") == "10.86.10"

    # The journal, the console and the device's page name what was held back.
    notes = list(ExchangeJournalEntry.objects.filter(operation=LEFT_OUT_OPERATION, device=device)
                 .values_list("note", flat=True))
    console = admin_client.get(reverse("admin:offline_exchange_exchangeconsole_changelist")).content.decode()
    page = admin_client.get(reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])).content.decode()
    if code == 3003:
        assert not notes and "не выгружаются на кассу" not in page
    else:
        assert notes and all(PUZZLE in note for note in notes)
        assert "«СТЕР Пазл 1000 Английский котенок» (ставку НДС 22%)" in console.replace("&quot;", '"')
        assert "Перевести кассу на формат 3.3…" in console
        assert f"«{PUZZLE}» — ставку НДС 22%" in page and 'id="format-switch"' in page


def test_one_click_on_the_device_page_switches_to_3_3_and_the_next_list_is_full(client, goods_2026, admin_client):
    device = goods_2026["device"]
    first = call(client, "PrepareFullPriceList", [("DeviceID", device.device_id), ("FullPriceList", "true")]
                 ).result("PrepareFullPriceList")
    assert PUZZLE not in {g.get("Name") for p in drain(client, device.device_id, first, 3001) for g in p.iter("{*}Good")}
    admin_client.post(reverse("admin:offline_exchange_offlinedevice_format_switch", args=[device.pk]))
    assert call(client, "GetVersion", [("DeviceID", device.device_id)]).result("GetVersion") == "3003"
    # The register asks for changes only; the switch makes it the whole list, in 3.3, with the puzzle at 22 %.
    tid = call(client, "PreparePriceList", [("DeviceID", device.device_id)]).result("PreparePriceList")
    packages = drain(client, device.device_id, tid, 3003)
    assert packages[0].find("{*}PriceList").get("FullExport") == "true"
    goods = {g.get("Name"): g for p in packages for g in p.iter("{*}Good")}
    assert goods[PUZZLE].get("TaxRate") == "22" and len(goods) == 28


def test_the_switch_needs_the_right_to_change_the_device_and_its_store(goods_2026):
    from tests.factories import StoreFactory, staff_client

    device = goods_2026["device"]
    url = reverse("admin:offline_exchange_offlinedevice_format_switch", args=[device.pk])
    page = reverse("admin:offline_exchange_offlinedevice_change", args=[device.pk])
    viewer = staff_client("viewer", "view_offlinedevice", "view_all_stores")  # head office, every store
    assert "Товары, которые не выгружаются на кассу: 1" in viewer.get(page).content.decode()
    assert 'id="format-switch"' not in viewer.get(page).content.decode()
    assert viewer.post(url).status_code == 403
    other = staff_client("other", "view_offlinedevice", "change_offlinedevice", store=StoreFactory())
    assert other.post(url).status_code == 404
    manager = staff_client("manager", "view_offlinedevice", "change_offlinedevice", store=goods_2026["store"])
    assert manager.get(url).status_code == 403  # a switch is a POST, never a link a crawler follows
    assert manager.post(url).status_code == 302
    device.refresh_from_db()
    assert device.format_version == 3003


def test_a_3_3_upload_with_22_of_122_is_imported_and_posted(client, goods_2026):
    device = goods_2026["device_33"]
    puzzle = Item.objects.get(name=PUZZLE)
    code = str(SkuCode.objects.get(item=puzzle, characteristic=None, pack=None).number)
    lines = [CheckLineDoc(line=0, code=code, quantity=Decimal(2), price=Decimal("183.00"), amount=Decimal("366.00"),
                          tax_rate="22/122", payment_method=4)]
    shift = SaleReportDoc(line=0, shift_number="1", opened_at=dt.datetime(2026, 1, 12, 9),
                          closed_at=dt.datetime(2026, 1, 12, 21), shift_state=1, uuid=uuid.uuid4(), checks=[CheckDoc(
                              line=0, date=dt.datetime(2026, 1, 12, 10), number="1", taxation_system=0,
                              operation_type=1, uuid=uuid.uuid4(), lines=lines,
                              payments=[PaymentDoc(Decimal("366.00"), *[Decimal(0)] * 4)])])
    document = build_sale_reports([shift], get_format(3003))
    assert_valid_as(3003, document)  # a check line's TaxRate is a free string: 22/122 is in the schema
    answer = result(client, "PostDocs", [("DeviceID", device.device_id), ("DocType", "SaleReports"),
                                         ("Document", document.decode())], 3003)
    assert (answer.findtext("{*}IsSuccess"), answer.findtext("{*}Description")) == ("true", SUCCESS)
    [line] = SalesReportGoodsLine.objects.all()
    assert (line.item, line.vat_rate, line.vat_amount) == (puzzle, "22", Decimal("66.00"))  # 366 × 22 / 122
    assert line.report.posted and line.report.vat_total == Decimal("66.00")
