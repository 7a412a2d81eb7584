"""Store scope holds on every page that shows store data: two stores, each with distinctive names, numbers
and amounts, walked as the people who use the back office.

The walk is discovered, not listed: every admin of `admin.site._registry` (its list, the list with another
store's identifiers in the query string, its list filters' choices, its add form), every autocomplete
endpoint (every relation of every model whose target admin searches), every report and its Excel file
with another store's store, warehouse and register in the query string. A new admin or report is walked
without anyone adding it here."""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import uuid
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import RelatedFieldListFilter
from django.contrib.admin.utils import get_model_from_relation
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db.models import ForeignKey, ManyToManyField
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from backoffice.reports_views import REPORTS
from common.ru import money_text, quantity_text
from offline_exchange.models import DeviceCodeAlias, ExchangeJournalEntry, Transfer
from retail.models import (
    Check,
    CheckLine,
    CheckMarkingCode,
    CheckPayment,
    Counterparty,
    CustomerOrder,
    GoodsReceipt,
    OpeningBalance,
    RetailReturnsReport,
    RetailReturnsReportLine,
    RetailSalesReport,
    SalesReportGoodsLine,
    SalesReportReturnedLine,
    StockBalance,
    StockCount,
    StockMovement,
    StockTransfer,
    WriteOff,
)
from retail.rights import NO_STORES_TEXT, is_scoped
from tests import factories as f

pytestmark = pytest.mark.django_db

DAY = dt.date.today() - dt.timedelta(days=1)  # inside every report's default period
WHEN = dt.datetime.combine(DAY, dt.time(10, 0))
PERIOD = {"date_from": (DAY - dt.timedelta(days=2)).strftime("%d.%m.%Y"),
          "date_to": (DAY + dt.timedelta(days=1)).strftime("%d.%m.%Y")}


class World:
    """One store's data, every name and number of it its own."""

    def __init__(self, token: str, code: str, *, total: D, returns: D, quantity: D, organization):
        self.token, self.code = token, code
        self.numbers = (total, returns, quantity)
        self.store = f.StoreFactory(name=f"Магазин {token}", address=f"ул. {token}, 1")
        self.warehouse = f.WarehouseFactory(store=self.store, name=f"Склад {token}")
        self.second = f.WarehouseFactory(store=self.store, name=f"Склад {token} второй")
        rule = f.ExchangeRuleFactory(warehouse=self.warehouse, name=f"Правило {token}")
        # A register that does not carry VAT 22 % (format 3.1): the item card warns about it, by name.
        self.device = f.OfflineDeviceFactory(name=f"Касса {token}", device_id=f"DEV-{code}-0001",
                                             organization=organization, rule=rule, format_version=3001)
        self.register = f.CashRegisterFactory(name=f"ККМ {token}", store=self.store, device=self.device,
                                              organization=organization)
        self.phone = f"+7 900 {code}-{code}"
        self.customer = Counterparty.objects.create(name=f"Покупатель {token}", phone=self.phone)
        self.supplier = Counterparty.objects.create(name=f"Поставщик {token}", phone=f"+7 800 {code}-00")
        # The catalog is everyone's: its names are not the store's.
        self.item = f.ItemFactory(name=f"Товар {code}", vat_rate="22")
        self.order = CustomerOrder.objects.create(
            number=f"{code}-000777", number_year=DAY.year, number_seq=777, date=WHEN, store=self.store,
            warehouse=self.warehouse, organization=organization, counterparty=self.customer,
            phone=f"+7 901 {code}-11", courier_cash_register=self.register, comment=f"Заказ {token}")
        common = {"organization": organization, "store": self.store,
                  "cash_register": self.register, "device": self.device, "warehouse": self.warehouse,
                  "shift_opened_at": WHEN - dt.timedelta(hours=2), "number_year": DAY.year}
        self.report = RetailSalesReport.objects.create(
            number=f"{code}РТ-000777", number_seq=777, date=WHEN, shift_number=f"{code}77", posted=True,
            shift_closed=True, shift_closed_at=WHEN, total=total, returns_total=returns, cash_total=total,
            comment=f"Смена {token}", **common)
        SalesReportGoodsLine.objects.create(report=self.report, line_number=1, item=self.item, quantity=quantity,
                                            quantity_packs=quantity, price=total, amount=total)
        SalesReportReturnedLine.objects.create(report=self.report, line_number=1, item=self.item, quantity=1,
                                               quantity_packs=1, price=returns, amount=returns)
        self.unposted = RetailSalesReport.objects.create(
            number=f"{code}РТ-000778", number_seq=778, date=WHEN, shift_number=f"{code}78",
            not_posted_reasons=[{"code": "text", "text": f"Причина {token}"}], total=total, **common)
        self.entry = ExchangeJournalEntry.objects.create(
            device=self.device, device_ref=self.device.device_id, operation="PostDocs", status="error",
            error=f"Ошибка {token}", doc_type=f"Doc{code}", address=f"10.{sum(map(ord, code)) % 250}.0.1")
        Transfer.objects.create(device=self.device, full=True, left_out=f"Не передано {token}")
        DeviceCodeAlias.objects.create(device=self.device, code=f"{code}-77", item=self.item)
        documents = {"warehouse": self.warehouse, "organization": organization, "date": WHEN}
        self.documents = [
            OpeningBalance.objects.create(number=f"{code}-000001", comment=f"Остатки {token}", **documents),
            GoodsReceipt.objects.create(number=f"{code}-000002", supplier=self.supplier,
                                        supplier_document=f"Вх {token}", **documents),
            WriteOff.objects.create(number=f"{code}-000003", reason=f"Бой {token}", **documents),
            StockCount.objects.create(number=f"{code}-000004", comment=f"Пересчет {token}", **documents),
            StockTransfer.objects.create(number=f"{code}-000005", to_warehouse=self.second,
                                         comment=f"Перемещение {token}", **documents),
        ]
        StockMovement.objects.create(date=WHEN, warehouse=self.warehouse, item=self.item, quantity=quantity,
                                     document_type=ContentType.objects.get_for_model(OpeningBalance),
                                     document_id=self.documents[0].pk)
        StockBalance.objects.create(warehouse=self.warehouse, item=self.item, quantity=quantity)
        # The shift's kept checks: a sale (with a marking code and a card payment) and a return.
        self.check = Check.objects.create(
            report=self.report, number=f"{code}-000901", date=WHEN, operation=Check.Operation.SALE,
            uuid=uuid.uuid4(), total=total, line_count=1, electronic=total)
        CheckLine.objects.create(check_doc=self.check, line_number=1, code=f"{code}-77", item=self.item,
                                 quantity=quantity, price=total, amount=total)
        CheckMarkingCode.objects.create(check_doc=self.check, line_number=1, code=f"0104600000{code}77")
        CheckPayment.objects.create(check_doc=self.check, option_code=f"{code}-77", amount=total)
        # A return of another shift's check, booked as its own document (its sale linked by the fixture).
        self.returns = RetailReturnsReport.objects.create(
            number=f"{code}РТ-000779", number_year=DAY.year, number_seq=779, date=WHEN, store=self.store,
            cash_register=self.register, device=self.device, organization=organization, warehouse=self.warehouse,
            shift_report=self.report, check_uuid=uuid.uuid4(), check_number=f"{code}-000902", total=returns,
            cash_total=returns, posted=True, comment=f"Возврат {token}")
        RetailReturnsReportLine.objects.create(document=self.returns, line_number=1, item=self.item, quantity=1,
                                               quantity_packs=1, price=returns, amount=returns)
        self.return_check = Check.objects.create(
            report=self.report, number=f"{code}-000902", date=WHEN, operation=Check.Operation.SALE_RETURN,
            uuid=self.returns.check_uuid, ref_type=Check.RefType.CHECK, total=returns, line_count=1, cash=returns,
            returns_report=self.returns)

    def strings(self) -> set[str]:
        """What must not be seen of this store: its names (all carry the token), numbers, codes, amounts."""
        found = {self.token, self.device.device_id, self.phone, f"{self.code}-000", f"{self.code}РТ-",
                 f"{self.code}77", f"{self.code}78", f"Doc{self.code}", self.entry.address, f"{self.code}-77"}
        for number in self.numbers:
            text = f"{number:f}"
            found |= {text, text.replace(".", ","), money_text(number), quantity_text(number),
                      money_text(number).replace("\xa0", " "), quantity_text(number).replace("\xa0", " ")}
        return found

    def objects(self) -> dict:
        """Its rows by model, to name them in query strings."""
        rows = [self.store, self.warehouse, self.second, self.device, self.register, self.customer, self.supplier,
                self.order, self.report, self.unposted, self.entry, self.device.rule, *self.documents, self.check,
                self.return_check, self.returns]
        found = {}
        for row in rows:
            found.setdefault(type(row), []).append(row.pk)
        return found


@pytest.fixture
def worlds():
    organization = f.OrganizationFactory(name="ООО «Общая»", number_prefix="ОБЩ")
    alpha = World("Альфа-Норд", "AN", total=D("111222.33"), returns=D("11122.21"), quantity=D("1234.567"),
                  organization=organization)
    beta = World("Зюйд-Вест", "ZW", total=D("987654.32"), returns=D("98765.41"), quantity=D("4321.987"),
                 organization=organization)
    # Each store's return is of a sale made in the other store: its pages must not name that sale.
    for world, other in ((alpha, beta), (beta, alpha)):
        RetailReturnsReport.objects.filter(pk=world.returns.pk).update(
            sale_report=other.report, sale_check_uuid=other.check.uuid, sale_check_number=other.check.number)
        Check.objects.filter(pk=world.return_check.pk).update(ref_uuid=other.check.uuid)
    return alpha, beta


def person(username: str, *codenames: str, store=None) -> Client:
    """A logged-in staff member with exactly these rights (codenames), bound to `store`."""
    return f.staff_client(username, *codenames, store=store)


def codenames(*actions: str) -> list[str]:
    return [p.codename for p in Permission.objects.all()
            if p.codename.split("_", 1)[0] in actions and p.codename != "view_all_stores"]


# --- The walk --------------------------------------------------------------------------------------

def _text(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        book = load_workbook(io.BytesIO(response.content))
        cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None]
        # Numbers as the sheet holds them and as Russians read them.
        return "\n".join(_number_text(cell.value) if isinstance(cell.value, (int, float)) else str(cell.value)
                         for cell in cells)
    content = response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(json.loads(content), ensure_ascii=False)
    # The CSRF token (64 random letters and digits on every page's logout form) is no store's data, yet it can
    # spell «ZW77»: a walk reads some 500 of them, a false leak about once in 250 runs.
    return html.unescape(CSRF_VALUE.sub(r"\1", content))


CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+')


def _number_text(value) -> str:
    number = D(str(value))
    return f"{number:f}|{money_text(number)}|{quantity_text(number)}"


def _strip_unscoped_choices(page: str, model_admin) -> str:
    """A choice an admin offers whatever the stores (`unscoped_choices`: a transfer to another store's
    warehouse) is that admin's declared decision, not a leak."""
    for name in getattr(model_admin, "unscoped_choices", ()):
        page = re.sub(rf'<select name="{name}".*?</select>', "", page, flags=re.S)
    return page


def walk(browser: Client, other_rows: dict):
    """(where, text) of every page the walk reads; `other_rows` are the identifiers put in query strings."""
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        url = reverse("admin:%s_%s_changelist" % info)
        listing = browser.get(url, follow=True)
        if listing.status_code == 403:
            continue
        assert listing.status_code == 200, url
        yield url, _text(listing)
        changelist = (listing.context or {}).get("cl")
        if changelist is not None:
            for spec in changelist.filter_specs:
                choices = " ".join(str(choice.get("display", "")) for choice in spec.choices(changelist))
                yield f"{url} filter {spec.title}", choices
                if isinstance(spec, RelatedFieldListFilter):
                    related = get_model_from_relation(spec.field)._meta.concrete_model
                    for pk in other_rows.get(related, []):
                        yield f"{url}?{spec.lookup_kwarg}={pk}", _text(browser.get(url, {spec.lookup_kwarg: pk}))
            for term in ("", "Зюйд", "Альфа", "ZW", "AN"):
                if changelist.search_fields:
                    yield f"{url}?q={term}", _text(browser.get(url, {"q": term}))
            for obj in list(changelist.result_list)[:2]:  # the pages of what the list shows
                change = browser.get(reverse("admin:%s_%s_change" % info, args=[obj.pk]), follow=True)
                yield f"{url}{obj.pk}/change/", _strip_unscoped_choices(_text(change), model_admin)
        add = browser.get(reverse("admin:%s_%s_add" % info))
        if add.status_code == 200:
            yield f"{url}add/", _strip_unscoped_choices(_text(add), model_admin)
    yield from walk_autocompletes(browser)
    yield from walk_reports(browser, other_rows)


def autocomplete_fields_everywhere():
    """Every relation of every model whose target has an admin that searches: what the autocomplete view
    answers for (it does not ask whether the source admin declared the field)."""
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, (ForeignKey, ManyToManyField)):
                continue
            target = admin.site._registry.get(field.related_model)
            if target is not None and target.search_fields:
                yield model, field


def walk_autocompletes(browser: Client):
    for model, field in autocomplete_fields_everywhere():
        for term in ("", "Зюйд", "Альфа", "ZW", "AN"):
            query = {"app_label": model._meta.app_label, "model_name": model._meta.model_name,
                     "field_name": field.name, "term": term}
            answer = browser.get(reverse("admin:autocomplete"), query)
            if answer.status_code == 200:
                yield f"autocomplete {model._meta.label}.{field.name} «{term}»", _text(answer)


def walk_reports(browser: Client, other_rows: dict):
    for slug, (_title, form_class, _build, _perm) in REPORTS.items():
        url = reverse(f"report-{slug}")
        queries = [{}, {"format": "xlsx"}]
        dates = {"at": f"{DAY + dt.timedelta(days=1):%d.%m.%Y}"} if "at" in form_class.base_fields else PERIOD
        queries += [dates, {**dates, "format": "xlsx"}]
        for name, field in form_class.base_fields.items():
            model = getattr(getattr(field, "queryset", None), "model", None)
            for pk in other_rows.get(model, []) if model is not None and is_scoped(model) else []:
                queries += [{**dates, name: pk}, {**dates, name: pk, "format": "xlsx"}]
        for query in queries:
            response = browser.get(url, query)
            if response.status_code == 403:
                break
            assert response.status_code == 200, (url, query)
            yield f"{url}?{query}", _text(response)


def seen(browser: Client, world: World, other_rows: dict) -> list[tuple[str, str]]:
    strings = world.strings()
    return [(where, string) for where, text in walk(browser, other_rows) for string in strings if string in text]


# --- As the people who use it ----------------------------------------------------------------------

def test_a_store_manager_sees_nothing_of_another_store_anywhere(worlds):
    alpha, beta = worlds
    manager = person("manager", *codenames("view", "add", "change"), store=alpha.store)
    assert seen(manager, beta, beta.objects()) == []
    # The walk reads pages that do show the manager's own store: it would have seen the other's.
    own = {string for _where, string in seen(manager, alpha, beta.objects())}
    assert {alpha.token, alpha.device.device_id, money_text(alpha.numbers[0]), f"{alpha.code}РТ-"} <= own


def test_view_only_store_staff_see_nothing_of_another_store_anywhere(worlds):
    alpha, beta = worlds
    viewer = person("viewer", *codenames("view"), store=alpha.store)
    assert seen(viewer, beta, beta.objects()) == []


def test_the_superuser_sees_both_stores_on_the_pages_walked(worlds):
    """The other store's strings are on the pages walked: the walk can fail."""
    alpha, beta = worlds
    root = Client()
    root.force_login(User.objects.create_superuser("root", password="pw"))
    found = seen(root, beta, beta.objects())
    pages = {where.split("?")[0].split(" ")[0] for where, _string in found}
    for model in admin.site._registry:
        if is_scoped(model):
            assert reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") in pages, model
    for slug in REPORTS:
        assert reverse(f"report-{slug}") in pages, slug
    assert any(where.startswith("autocomplete") for where, _string in found)
    assert money_text(beta.numbers[0]) in {string for _where, string in found}


def test_staff_bound_to_no_store_see_no_store_without_the_right(worlds):
    alpha, beta = worlds
    nobody = person("head", *codenames("view", "add", "change"))
    assert seen(nobody, alpha, beta.objects()) == []
    assert seen(nobody, beta, alpha.objects()) == []
    for slug in REPORTS:
        for query in ({}, {"format": "xlsx"}):
            page = nobody.get(reverse(f"report-{slug}"), query)
            assert page.status_code == 200 and NO_STORES_TEXT in page.content.decode()
            assert page.context["report"] is None
    listing = nobody.get(reverse("admin:offline_exchange_cashregister_changelist"))
    assert NO_STORES_TEXT in listing.content.decode() and not listing.context["cl"].result_count


def test_staff_bound_to_no_store_with_the_right_see_every_store(worlds):
    alpha, beta = worlds
    head = person("head", *codenames("view"), "view_all_stores")
    listing = head.get(reverse("admin:offline_exchange_cashregister_changelist")).content.decode()
    assert alpha.register.name in listing and beta.register.name in listing
    shifts = head.get(reverse("report-cash-shifts"), PERIOD).content.decode()
    assert money_text(alpha.numbers[0]) in shifts and money_text(beta.numbers[0]) in shifts
    customers = head.get(reverse("admin:retail_counterparty_changelist")).content.decode()
    assert alpha.customer.name in customers and beta.customer.name in customers


def test_the_right_is_created_by_the_migration_with_its_group():
    right = Permission.objects.get(codename="view_all_stores", content_type__app_label="retail")
    assert right.name == "Все магазины"
    assert right.group_set.filter(name="Все магазины").exists()


# --- Customers -------------------------------------------------------------------------------------

def test_customers_are_a_stores_through_its_orders_and_a_new_one_can_be_taken_on(worlds):
    alpha, beta = worlds
    manager = person("manager", *codenames("view", "add", "change"), store=alpha.store)
    customers = manager.get(reverse("admin:retail_counterparty_changelist"))
    assert set(customers.context["cl"].queryset) == {alpha.customer, alpha.supplier}
    assert manager.get(reverse("admin:retail_counterparty_change", args=[beta.customer.pk])).status_code == 302
    # A customer added beside the order (referenced by nothing yet) can be chosen; another store's cannot.
    newcomer = Counterparty.objects.create(name="Новый покупатель")
    form = manager.get(reverse("admin:retail_customerorder_add")).context["adminform"].form
    assert newcomer in form.fields["counterparty"].queryset
    assert beta.customer not in form.fields["counterparty"].queryset
    assert alpha.customer in form.fields["counterparty"].queryset
    # The choice is searched, never listed: the form does not print the customers.
    page = manager.get(reverse("admin:retail_customerorder_add")).content.decode()
    assert newcomer.name not in page and alpha.customer.name not in page
    found = manager.get(reverse("admin:autocomplete"), {"app_label": "retail", "model_name": "customerorder",
                                                         "field_name": "counterparty", "term": ""}).json()
    assert {row["text"] for row in found["results"]} == {alpha.customer.name, alpha.supplier.name}


def test_another_stores_objects_are_not_named_on_a_delete_page(worlds):
    alpha, beta = worlds
    shared = Counterparty.objects.create(name="Общий клиент")
    for world in worlds:
        CustomerOrder.objects.filter(pk=world.order.pk).update(counterparty=shared)
    manager = person("manager", *codenames("view", "delete"), store=alpha.store)
    page = manager.get(reverse("admin:retail_counterparty_delete", args=[shared.pk]))
    text = page.content.decode()
    # Refused, and the other store's order is not named: the page says whose it is, not what it is.
    assert page.status_code == 200 and beta.order.number not in text and beta.token not in text
    assert "Заказ покупателя другого магазина" in text
    root = Client()
    root.force_login(User.objects.create_superuser("root", password="pw"))
    assert beta.order.number in root.get(reverse("admin:retail_counterparty_delete", args=[shared.pk])).content.decode()
