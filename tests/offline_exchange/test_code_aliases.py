"""A register's own codes: mapped per device, read by the sales import before the SKU register."""
import uuid
from decimal import Decimal as D

import pytest
from django.contrib.contenttypes.models import ContentType

from offline_exchange.models import DeviceCodeAlias, ExchangeSettings, SkuCode
from offline_exchange.services.code_aliases import (
    CodeMappingError,
    code_alias_set,
    sku_code_assign,
    sku_number_is_free,
)
from offline_exchange.services.journal import journal_receive
from offline_exchange.services.sales import SUCCESS, post_docs, sales_report_repost, sales_report_unrecognized
from retail.models import Item, RetailSalesReport, SalesReportGoodsLine, StockMovement
from retail.services.reasons import odd_vat_rates_reason, unknown_codes_reason
from retail.services.sales_reports import sales_report_reasons_short
from tests import factories as f
from tests.conftest import sample
from tests.offline_exchange.test_sales_import import reasons


def received(device, name="a_sale_reports_closed_shift.xml"):
    """The upload as the SOAP view handles it: archived in the journal, then imported."""
    document = sample(name)
    entry = journal_receive(device=device, device_ref=device.device_id, operation="PostDocs", user=None,
                            doc_type="SaleReports", document=document, request_bytes=len(document))
    return post_docs(device=device, doc_type="SaleReports", document=document, journal_entry=entry)


@pytest.fixture
def unknown_cigarettes(sample_shop):
    """Sample (a) with its code 00004 known to nobody: no SKU 4, and the cigarettes' UUID is another."""
    SkuCode.objects.filter(number=4).delete()
    Item.objects.filter(pk=sample_shop.cigarettes.pk).update(uuid=uuid.uuid4())
    received(sample_shop.device)
    report = RetailSalesReport.objects.get()
    assert not report.posted and "00004" in reasons(report)
    return report


def movements(report):
    return StockMovement.objects.filter(document_type=ContentType.objects.get_for_model(RetailSalesReport),
                                        document_id=report.pk)


def test_a_mapped_code_posts_the_report_on_repost_without_touching_the_sku_register(sample_shop, unknown_cigarettes):
    skus_before = set(SkuCode.objects.values_list("number", "item_id", "characteristic_id", "pack_id"))
    code_alias_set(device=sample_shop.device, code="00004", item=sample_shop.cigarettes)

    result = sales_report_repost(report=unknown_cigarettes)

    assert (result.success, result.description) == (True, SUCCESS)
    report = RetailSalesReport.objects.get()  # the same report, replaced, not a second one
    assert report.pk == unknown_cigarettes.pk and report.number == unknown_cigarettes.number
    assert report.posted and report.not_posted_reasons == []
    line = report.salesreportgoodsline_set.get(sent_code="00004")
    assert (line.item, line.quantity, line.amount) == (sample_shop.cigarettes, D(2), D("360.00"))
    assert set(SkuCode.objects.values_list("number", "item_id", "characteristic_id", "pack_id")) == skus_before
    written = movements(report).count()
    assert written > 0
    # A second re-post replaces the movements: the stock moves once.
    sales_report_repost(report=report)
    assert movements(report).count() == written and RetailSalesReport.objects.count() == 1


def test_a_mapping_belongs_to_its_device_alone(sample_shop, unknown_cigarettes):
    other = f.OfflineDeviceFactory(organization=sample_shop.org, rule=sample_shop.device.rule, device_id="OTHER-1")
    code_alias_set(device=other, code="00004", item=sample_shop.cigarettes)
    sales_report_repost(report=unknown_cigarettes)
    unknown_cigarettes.refresh_from_db()
    assert not unknown_cigarettes.posted
    assert SalesReportGoodsLine.objects.get(report=unknown_cigarettes, sent_code="00004").item is None


def test_the_device_mapping_comes_before_the_sku_register(sample_shop):
    # This register sells the water as «00001», which is the apples' SKU for every other register.
    code_alias_set(device=sample_shop.device, code="00001", item=sample_shop.water)
    received(sample_shop.device)
    report = RetailSalesReport.objects.get()
    assert {line.item for line in report.salesreportgoodsline_set.filter(sent_code="00001")} == {sample_shop.water}
    other = f.OfflineDeviceFactory(organization=sample_shop.org, rule=sample_shop.device.rule, device_id="OTHER-2")
    received(other)
    theirs = RetailSalesReport.objects.get(device=other)
    assert {line.item for line in theirs.salesreportgoodsline_set.filter(sent_code="00001")} == {sample_shop.apples}


def test_a_mapping_keeps_the_characteristic_and_pack_of_the_item(sample_shop, unknown_cigarettes):
    code_alias_set(device=sample_shop.device, code="00004", item=sample_shop.water, pack=sample_shop.six)
    sales_report_repost(report=unknown_cigarettes)
    line = SalesReportGoodsLine.objects.get(report=unknown_cigarettes, sent_code="00004")
    # Two packs of six: the quantity in base units follows the pack's coefficient.
    assert (line.item, line.pack, line.quantity_packs, line.quantity) == (sample_shop.water, sample_shop.six, 2, 12)


def test_a_characteristic_or_pack_of_another_item_is_refused_and_nothing_saved(sample_shop):
    with pytest.raises(CodeMappingError, match="Характеристика «M» не относится к номенклатуре «Вода 0,5 л»"):
        code_alias_set(device=sample_shop.device, code="00009", item=sample_shop.water,
                       characteristic=sample_shop.size_m)
    with pytest.raises(CodeMappingError, match="Упаковка «Упаковка 6 шт» не относится"):
        code_alias_set(device=sample_shop.device, code="00009", item=sample_shop.shirt, pack=sample_shop.six)
    with pytest.raises(CodeMappingError, match="Код товара пуст"):
        code_alias_set(device=sample_shop.device, code="  ", item=sample_shop.shirt)
    assert not DeviceCodeAlias.objects.exists()


def test_mapping_the_same_code_again_replaces_the_mapping(sample_shop):
    code_alias_set(device=sample_shop.device, code=" 00009 ", item=sample_shop.water)
    code_alias_set(device=sample_shop.device, code="00009", item=sample_shop.shirt, characteristic=sample_shop.size_l)
    alias = DeviceCodeAlias.objects.get()
    assert (alias.code, alias.item, alias.characteristic) == ("00009", sample_shop.shirt, sample_shop.size_l)
    assert str(alias) == "00009 → Футболка, L"


class TestSkuAssign:
    def test_a_free_number_goes_to_a_position_without_sku(self, sample_shop):
        ExchangeSettings.objects.update_or_create(pk=1, defaults={"weight_sku_min": 1, "weight_sku_max": 99})
        assert sku_number_is_free(code="00100") and not sku_number_is_free(code="00004")
        code = sku_code_assign(code="00100", item=sample_shop.shirt, characteristic=sample_shop.size_l)
        assert (code.number, code.item, code.characteristic, code.pack) == (100, sample_shop.shirt, sample_shop.size_l, None)
        assert not sku_number_is_free(code="100")

    def test_a_position_that_has_an_sku_keeps_it(self, sample_shop):
        ExchangeSettings.objects.update_or_create(pk=1, defaults={"weight_sku_min": 1, "weight_sku_max": 99})
        with pytest.raises(CodeMappingError, match="уже есть код SKU 2; его используют другие кассы"):
            sku_code_assign(code="00100", item=sample_shop.shirt)
        assert SkuCode.objects.get(item=sample_shop.shirt, characteristic=None).number == 2

    def test_a_taken_number_outside_the_range_or_not_a_number_is_refused(self, sample_shop):
        ExchangeSettings.objects.update_or_create(pk=1, defaults={"weight_sku_min": 1, "weight_sku_max": 99})
        with pytest.raises(CodeMappingError, match="Код SKU 3 уже занят позицией «Вода 0,5 л»"):
            sku_code_assign(code="00003", item=sample_shop.shirt, characteristic=sample_shop.size_m)
        with pytest.raises(CodeMappingError, match=r"вне диапазона штучных товаров \(100–999999999\)"):
            sku_code_assign(code="00050", item=sample_shop.shirt, characteristic=sample_shop.size_m)
        with pytest.raises(CodeMappingError, match="не может быть кодом SKU"):
            sku_code_assign(code="A-17", item=sample_shop.shirt, characteristic=sample_shop.size_m)
        assert not SkuCode.objects.filter(characteristic=sample_shop.size_m).exists()
        assert not sku_number_is_free(code="A-17")


def test_unrecognized_codes_and_short_reasons_of_an_open_shift(sample_shop):
    received(sample_shop.device, "c_sale_reports_open_shift.xml")
    report = RetailSalesReport.objects.get()
    rows = sales_report_unrecognized(report=report)
    # The sample's free-price line carries no code at all: unknown too, and counted.
    assert [(row.code, row.checks, row.quantity, row.prices, row.amount) for row in rows] == [
        ("00005", 1, D(1), [D("749.00")], D("749.00")), ("", 1, D(1), [D("50.00")], D("50.00"))]
    assert sales_report_reasons_short(report=report, unknown_codes=len(rows)) == [
        "2 кода не найдены", "смена не закрыта"]


def test_short_reasons_count_codes_in_russian():
    report = RetailSalesReport(not_posted_reasons=[unknown_codes_reason([("1", None, 1, D(1), D(5), {D(5)})]),
                                                   odd_vat_rates_reason({"18"})])
    assert sales_report_reasons_short(report=report, unknown_codes=3) == [
        "3 кода не найдены", "непонятная ставка НДС в чеке: 18"]
    assert sales_report_reasons_short(report=report, unknown_codes=11)[0] == "11 кодов не найдены"


def test_mappings_are_listed_per_store_and_deleted_not_edited(sample_shop):
    from django.contrib.auth.models import Permission, User
    from django.test import Client
    from django.urls import reverse

    alias = code_alias_set(device=sample_shop.device, code="00009", item=sample_shop.shirt,
                           characteristic=sample_shop.size_m)
    rights = Permission.objects.filter(codename__in=["view_devicecodealias", "change_devicecodealias",
                                                     "delete_devicecodealias"])

    def manager(name, store):
        user = User.objects.create_user(name, password="pw", is_staff=True)
        user.user_permissions.set(rights)
        store.staff.add(user)
        browser = Client()
        browser.force_login(user)
        return browser

    own, other = manager("own", sample_shop.store), manager("other", f.StoreFactory(name="Другой"))
    listing = reverse("admin:offline_exchange_devicecodealias_changelist")
    assert "Футболка, M" in own.get(listing).content.decode()
    assert "Футболка, M" not in other.get(listing).content.decode()
    change = reverse("admin:offline_exchange_devicecodealias_change", args=[alias.pk])
    assert own.post(change, {"code": "1"}).status_code == 403
    delete = reverse("admin:offline_exchange_devicecodealias_delete", args=[alias.pk])
    assert other.post(delete, {"post": "yes"}).status_code == 302 and DeviceCodeAlias.objects.exists()  # «не существует»
    own.post(delete, {"post": "yes"})
    assert not DeviceCodeAlias.objects.exists()
