"""Every admin page and action, walked as the people who use them: a view-only user, a store manager of one
store, a staff user without permissions. The admin's registry is enumerated, so a new admin is walked too."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import NoReverseMatch, reverse

from offline_exchange.models import (
    CashRegister,
    DeviceCodeAlias,
    ExchangeJournalEntry,
    OfflineDevice,
    SkuCode,
    Transfer,
)
from retail.models import Check, CheckLine, CustomerOrder, Item, RetailReturnsReport, RetailSalesReport
from retail.rights import STORE_PATHS, scope_queryset
from tests import factories as f
from tests.equipment_service.soap import call

pytestmark = pytest.mark.django_db

SCOPED_MODELS = set(STORE_PATHS)
SKIPPED_TABLES = {"sessions.session", "admin.logentry"}


def snapshot() -> dict:
    """Every row of every table, to prove a refused request changed nothing anywhere."""
    state = {}
    for model in apps.get_models():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if label in SKIPPED_TABLES or model._meta.proxy:
            continue
        state[label] = sorted(map(repr, model.objects.order_by().values_list()))
    return state


@pytest.fixture
def two_stores(demo, client, device_id):
    """The demo store (with its report, order, journal and a transfer) and a second store with all the same."""
    call(client, "PrepareFullPriceList", [("DeviceID", device_id), ("FullPriceList", "true")])
    own = demo["store"]
    other = f.StoreFactory(name="Магазин «Другой»")
    warehouse = f.WarehouseFactory(store=other)
    device = f.OfflineDeviceFactory(name="Касса другого магазина", device_id="OTHER-0001",
                                    organization=demo["organization"], rule=f.ExchangeRuleFactory(warehouse=warehouse))
    register = f.CashRegisterFactory(name="ККМ другого магазина", store=other, device=device,
                                     organization=demo["organization"])
    Transfer.objects.create(device=device, full=True)
    ExchangeJournalEntry.objects.create(device=device, device_ref=device.device_id, operation="GetSettings",
                                        status="ok")
    for store, reg, number in ((own, demo["cash_register"], "ТДРТ-000001"), (other, register, "ТДРТ-000002")):
        report = RetailSalesReport.objects.create(
            number=number, number_year=2024, number_seq=int(number[-1]), date=dt.datetime(2024, 3, 1, 20, 0),
            organization=demo["organization"], store=store, cash_register=reg, device=reg.device,
            warehouse=store.warehouses.first(), shift_number="1", shift_opened_at=dt.datetime(2024, 3, 1, 8, 0),
            **{name: Decimal("100.00") for name in ("total", "vat_total", "returns_total", "cash_total",
                                                     "prepayment_total", "postpayment_total", "barter_total")})
        report.total = Decimal("200.00")  # a second version in the history, to revert to the first
        report.save()
        # Its shift's check, and a return of another shift's check booked as its own document.
        check = Check.objects.create(report=report, number="1", date=dt.datetime(2024, 3, 1, 12, 0), operation=1,
                                     total=Decimal("100.00"), line_count=1, cash=Decimal("100.00"))
        CheckLine.objects.create(check_doc=check, line_number=1, code="1", item=Item.objects.first(),
                                 quantity=Decimal(1), price=Decimal("100.00"), amount=Decimal("100.00"))
        RetailReturnsReport.objects.create(
            number=number, number_year=2024, number_seq=int(number[-1]), date=dt.datetime(2024, 3, 1, 13, 0),
            organization=demo["organization"], store=store, cash_register=reg, device=reg.device,
            warehouse=store.warehouses.first(), shift_report=report, check_number="2", total=Decimal("10.00"))
        _cash_documents(report)
    CustomerOrder.objects.create(number="ДР-000001", date=dt.datetime(2024, 3, 1), store=other,
                                 warehouse=warehouse, organization=demo["organization"],
                                 counterparty=demo["order"].counterparty)
    _store_documents(demo, own.warehouses.first(), warehouse, f.WarehouseFactory(store=other, name="Склад 2"))
    f.ItemFactory(name="Товар без SKU")
    for reg in (demo["cash_register"], register):  # a code mapped on a report page of each store
        DeviceCodeAlias.objects.create(device=reg.device, code="00042", item=Item.objects.first())
    return {"own": own, "other": other, "other_device": device, "other_register": register}


def _cash_documents(report):
    """A withdrawal of the report's register and a row of the cash ledger in the report's store."""
    from django.contrib.contenttypes.models import ContentType

    from retail.models import CashWithdrawal, MoneyMovement

    withdrawal = CashWithdrawal.objects.create(date=report.date, organization=report.organization, store=report.store,
                                               cash_register=report.cash_register, amount=Decimal("100.00"),
                                               sales_report=report)
    MoneyMovement.objects.create(date=report.date, store=report.store, cash_register=report.cash_register,
                                 kind=MoneyMovement.Kind.WITHDRAWAL, amount=Decimal("-100.00"),
                                 document_type=ContentType.objects.get_for_model(withdrawal),
                                 document_id=withdrawal.pk)


def _store_documents(demo, own_warehouse, other_warehouse, other_second):
    """A document of each kind, a ledger row and a balance in each store; the other store's transfer stays
    inside it (a transfer between the two stores is both stores')."""
    from django.contrib.contenttypes.models import ContentType

    from retail.models import (
        GoodsReceipt,
        OpeningBalance,
        StockBalance,
        StockCount,
        StockMovement,
        StockTransfer,
        WriteOff,
    )

    item = Item.objects.filter(sku_codes__isnull=False).first()
    when = dt.datetime(2024, 3, 1, 9, 0)
    for warehouse, receiver in ((own_warehouse, other_warehouse), (other_warehouse, other_second)):
        common = {"date": when, "organization": demo["organization"], "warehouse": warehouse}
        opening = OpeningBalance.objects.create(**common)
        GoodsReceipt.objects.create(**common)
        WriteOff.objects.create(reason="Бой", **common)
        StockCount.objects.create(**common)
        StockTransfer.objects.create(to_warehouse=receiver, **common)
        StockMovement.objects.create(date=when, warehouse=warehouse, item=item, quantity=Decimal(1),
                                     document_type=ContentType.objects.get_for_model(OpeningBalance),
                                     document_id=opening.pk)
        StockBalance.objects.update_or_create(warehouse=warehouse, item=item, characteristic=None,
                                              defaults={"quantity": Decimal(1)})


staff = f.staff_client


def all_codenames(*actions: str, models=None) -> list[str]:
    """Every model permission of these actions; «Все магазины» (view_all_stores) is a right of its own, given
    only where a test names it."""
    return [p.codename for p in Permission.objects.all()
            if p.codename.split("_", 1)[0] in actions and p.codename != "view_all_stores"
            and (models is None or f"{p.content_type.app_label}.{p.content_type.model}" in models)]


def admin_urls(model, model_admin, obj):
    """Each page of the model's admin with the permission it needs (None: view)."""
    info = (model._meta.app_label, model._meta.model_name)
    pages = [("changelist", reverse("admin:%s_%s_changelist" % info), "view"),
             ("add", reverse("admin:%s_%s_add" % info), "add")]
    if obj is not None:
        pages += [("change", reverse("admin:%s_%s_change" % info, args=[obj.pk]), "view"),
                  ("delete", reverse("admin:%s_%s_delete" % info, args=[obj.pk]), "delete"),
                  ("history", reverse("admin:%s_%s_history" % info, args=[obj.pk]), "view")]
    for name, needs in (("import", "import"), ("export", "export")):
        try:
            pages.append((name, reverse(f"admin:%s_%s_{name}" % info), needs))
        except NoReverseMatch:
            pass
    return pages


def registry():
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        yield label, model, model_admin


def post_every_action(browser, model, model_admin, pks):
    url = reverse("admin:%s_%s_changelist" % (model._meta.app_label, model._meta.model_name))
    names = [name for name in model_admin.actions or []] + ["delete_selected"]
    answers = {}
    for name in names:
        answers[name] = browser.post(url, {"action": name, "_selected_action": pks, "post": "yes"}).status_code
    return answers


def test_staff_without_permissions_reaches_nothing(two_stores):
    browser = staff("nobody")
    assert "Кассы ККМ" not in browser.get("/admin/").content.decode()
    before = snapshot()
    walked = 0
    for label, model, model_admin in registry():
        obj = model.objects.first()
        for page, url, _needs in admin_urls(model, model_admin, obj):
            assert browser.get(url).status_code == 403, (label, page)
            assert browser.post(url, {}).status_code == 403, (label, page)
            walked += 1
        answers = post_every_action(browser, model, model_admin, [obj.pk] if obj else [])
        assert set(answers.values()) == {403}, (label, answers)
    assert walked > 60 and snapshot() == before


def test_view_only_user_sees_everything_and_changes_nothing(two_stores):
    # Head office: every store's data needs «Все магазины» (staff bound to no store see none without it).
    browser = staff("viewer", *all_codenames("view"), "view_all_stores")
    before = snapshot()
    for label, model, model_admin in registry():
        obj = model.objects.first()
        for page, url, needs in admin_urls(model, model_admin, obj):
            expected = 200 if needs == "view" else 403
            # The settings singleton's list opens its one form (a redirect to a page the viewer may see).
            assert browser.get(url, follow=True).status_code == expected, (label, page)
            if page not in ("changelist", "history"):  # Django's history page only shows, whatever the method
                assert browser.post(url, {}).status_code == 403, (label, page)
        post_every_action(browser, model, model_admin, list(model.objects.values_list("pk", flat=True)))
        assert snapshot() == before, label


def test_history_revert_needs_rights_and_is_refused_for_received_documents(two_stores):
    report = RetailSalesReport.objects.get(store=two_stores["own"])
    first = report.history.order_by("history_id").first()
    url = reverse("admin:retail_retailsalesreport_simple_history", args=[report.pk, first.history_id])
    viewer = staff("viewer", *all_codenames("view"), "view_all_stores")
    manager = staff("manager", *all_codenames("view", "change"), store=two_stores["own"])
    root = User.objects.create_superuser("root", password="pw")
    superuser = Client()
    superuser.force_login(root)
    for browser in (viewer, manager, superuser):
        assert browser.get(url).status_code == 200
        assert browser.post(url, {}).status_code == 403
    report.refresh_from_db()
    assert report.total == Decimal("200.00")
    # The history of another store's report is not shown to the store's manager at all.
    other = RetailSalesReport.objects.get(store=two_stores["other"])
    other_version = other.history.order_by("history_id").first()
    assert manager.get(reverse("admin:retail_retailsalesreport_history", args=[other.pk])).status_code == 404
    assert manager.get(reverse("admin:retail_retailsalesreport_simple_history",
                               args=[other.pk, other_version.history_id])).status_code == 404


def test_import_export_and_sku_generation_need_their_own_rights(two_stores):
    changer = staff("changer", *all_codenames("view", "change", "add", "delete", models={"retail.item"}))
    assert changer.get(reverse("admin:retail_item_import")).status_code == 403
    assert changer.get(reverse("admin:retail_item_export")).status_code == 403
    importer = staff("importer", "view_item", "import_item", "export_item")
    assert importer.get(reverse("admin:retail_item_import")).status_code == 200
    assert importer.get(reverse("admin:retail_item_export")).status_code == 200

    item = Item.objects.get(name="Товар без SKU")
    viewer = staff("viewer", "view_item")
    viewer.post(reverse("admin:retail_item_changelist"), {"action": "generate_sku", "_selected_action": [item.pk]})
    assert not SkuCode.objects.filter(item=item).exists()
    changer.post(reverse("admin:retail_item_changelist"), {"action": "generate_sku", "_selected_action": [item.pk]})
    assert SkuCode.objects.filter(item=item).exists()


def _owned(obj, user) -> bool:
    return scope_queryset(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def test_store_manager_sees_and_changes_only_the_stores_objects(two_stores):
    own, other = two_stores["own"], two_stores["other"]
    scoped_perms = all_codenames("view", "change", "add", "delete",
                                 models={label.replace("exchangeconsole", "offlinedevice") for label in SCOPED_MODELS})
    browser = staff("manager", *scoped_perms, *all_codenames("view"), store=own)
    manager = User.objects.get(username="manager")
    walked = 0
    for label, model, model_admin in registry():
        if label not in SCOPED_MODELS:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        listing = browser.get(reverse("admin:%s_%s_changelist" % info))
        assert listing.status_code == 200, label
        shown = list(listing.context["cl"].queryset)
        assert shown and all(_owned(obj, manager) for obj in shown), label
        for obj in model._default_manager.all():
            change = browser.get(reverse("admin:%s_%s_change" % info, args=[obj.pk]))
            if _owned(obj, manager):
                assert change.status_code == 200, (label, obj)
            else:
                assert obj not in shown and change.status_code == 302, (label, obj)  # «не существует»
                assert browser.post(reverse("admin:%s_%s_delete" % info, args=[obj.pk]),
                                    {"post": "yes"}).status_code in (302, 403)
                assert model._default_manager.filter(pk=obj.pk).exists(), (label, obj)
            walked += 1
    assert walked >= 2 * len(SCOPED_MODELS) - 2

    # Actions reach only the store's objects: «Сбросить очередь» of the other store's register does nothing.
    browser.post(reverse("admin:offline_exchange_exchangeconsole_changelist"),
                 {"action": "reset_queue", "_selected_action": [two_stores["other_device"].pk]})
    assert Transfer.objects.filter(device=two_stores["other_device"]).exists()
    # Choices on the forms are the store's: a register cannot be moved to another store or device.
    form = browser.get(reverse("admin:offline_exchange_cashregister_add")).context["adminform"].form
    assert list(form.fields["store"].queryset) == [own]
    assert two_stores["other_device"] not in form.fields["device"].queryset
    register = CashRegister.objects.filter(store=own).order_by("pk").first()  # the demo store has two
    page = browser.get(reverse("admin:offline_exchange_cashregister_change", args=[register.pk]))
    data = {key: value for key, value in page.context["adminform"].form.initial.items() if value is not None}
    data.update({"store": other.pk, "payment_mappings-TOTAL_FORMS": 0, "payment_mappings-INITIAL_FORMS": 0})
    refused = browser.post(reverse("admin:offline_exchange_cashregister_change", args=[register.pk]), data)
    assert refused.status_code == 200 and "store" in refused.context["adminform"].form.errors
    register.refresh_from_db()
    assert register.store == own
    # The device page offers as sync logins only users holding the sync permission (never the staff themselves).
    device_form = browser.get(reverse("admin:offline_exchange_offlinedevice_change",
                                      args=[register.device_id])).context["adminform"].form
    assert set(device_form.fields["users"].queryset.values_list("username", flat=True)) == {"sync"}
    # A store's transfer leaves from its own warehouse, to any store's.
    transfer_form = browser.get(reverse("admin:retail_stocktransfer_add")).context["adminform"].form
    assert set(transfer_form.fields["warehouse"].queryset) == set(own.warehouses.all())
    assert other.warehouses.first() in transfer_form.fields["to_warehouse"].queryset
    # Who belongs to a store is not the store staff's decision.
    store_form = browser.get(reverse("admin:retail_store_change", args=[own.pk])).context["adminform"].form
    assert "staff" not in store_form.fields


def test_superuser_sees_every_store(two_stores, admin_client):
    listing = admin_client.get(reverse("admin:offline_exchange_cashregister_changelist"))
    assert set(listing.context["cl"].queryset) == set(CashRegister.objects.all())
    assert OfflineDevice.objects.count() == 3  # the demo's two registers and the other store's
