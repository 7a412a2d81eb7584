"""Who may see what: the stores a staff member is bound to, the store each scoped model belongs to, and
the right to sync. Every read that shows store data applies these: the admin (lists, pages, choices, list
filters, autocompletes), the store reports and their Excel files, the exchange console.

The rule fails closed: staff see the data of the stores they are bound to; staff bound to no store see no
store's data, unless they hold «Все магазины» (head office); superusers see every store."""
from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, OuterRef, Q

SYNC_PERMISSION = "offline_exchange.sync_data"
SYNC_PERMISSION_Q = (
    Q(user_permissions__codename="sync_data", user_permissions__content_type__app_label="offline_exchange")
    | Q(groups__permissions__codename="sync_data", groups__permissions__content_type__app_label="offline_exchange")
)
# Head office: every store's data, whatever stores the user is bound to (retail/migrations/0062_all_stores).
ALL_STORES_PERMISSION = "retail.view_all_stores"
ALL_STORES_GROUP = "Все магазины"
NO_STORES_TEXT = ("Вы не привязаны ни к одному магазину, и права «Все магазины» у вас нет: данных магазинов "
                  "для вас нет. Попросите администратора указать вас в сотрудниках магазина.")


def staff_store_ids(user) -> list[int] | None:
    """The stores whose data the user sees: None for every store (a superuser, or the «Все магазины»
    right), else the stores the user is bound to — an empty list (no store's data) for staff bound to
    none, and for anyone not logged in."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser or user.has_perm(ALL_STORES_PERMISSION):
        return None
    if not hasattr(user, "_staff_store_ids"):
        user._staff_store_ids = list(user.stores.values_list("pk", flat=True))
    return user._staff_store_ids


def sees_every_store(user) -> bool:
    return staff_store_ids(user) is None


# How each scoped model reaches its store; several paths are alternatives (a device reaches its store
# through its cash register, or, before it has one, through its exchange rule's warehouse).
def _device_paths(prefix: str = "") -> tuple[str, ...]:
    return (f"{prefix}cash_register__store", f"{prefix}rule__warehouse__store")


STORE_PATHS: dict[str, tuple[str, ...]] = {
    "retail.store": ("pk",),
    "retail.warehouse": ("store",),
    "retail.customerorder": ("store",),
    "retail.retailsalesreport": ("store",),
    # A check is its shift's: the store of its report; a returns document names its own.
    "retail.check": ("report__store",),
    "retail.retailreturnsreport": ("store",),
    # The store's documents and its stock: by their warehouse (a transfer is its sender's and its receiver's).
    "retail.openingbalance": ("warehouse__store",),
    "retail.goodsreceipt": ("warehouse__store",),
    "retail.writeoff": ("warehouse__store",),
    "retail.stockcount": ("warehouse__store",),
    "retail.stocktransfer": ("warehouse__store", "to_warehouse__store"),
    "retail.stockmovement": ("warehouse__store",),
    "retail.stockbalance": ("warehouse__store",),
    # Customers (names, phones) are the store's through its orders; suppliers through its goods receipts.
    "retail.counterparty": ("customerorder__store", "goodsreceipt__warehouse__store"),
    # The cash: a withdrawal and a ledger row belong to the store of their register (or cash desk).
    "retail.cashwithdrawal": ("store",),
    "retail.moneymovement": ("store",),
    "offline_exchange.cashregister": ("store",),
    "offline_exchange.exchangerule": ("warehouse__store",),
    "offline_exchange.offlinedevice": _device_paths(),
    "offline_exchange.exchangeconsole": _device_paths(),
    "offline_exchange.transfer": _device_paths("device__"),
    "offline_exchange.exchangejournalentry": _device_paths("device__"),
    "offline_exchange.devicecodealias": _device_paths("device__"),
}


def _label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def is_scoped(model) -> bool:
    return _label(model) in STORE_PATHS


def _many_valued(model, path: str) -> bool:
    """Whether the path crosses a reverse or many-to-many relation (a filter on it would repeat rows)."""
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if field.one_to_many or field.many_to_many:
            return True
        model = field.related_model
        if model is None:
            return False
    return False


def scope_queryset(queryset, user):
    """Only the rows of the user's stores, for a model that belongs to stores (none at all for staff bound
    to no store); other models unchanged."""
    model = queryset.model
    paths = STORE_PATHS.get(_label(model))
    if paths is None:
        return queryset
    stores = staff_store_ids(user)
    if stores is None:
        return queryset
    if not stores:
        return queryset.none()
    direct, through = Q(), Q()
    for path in paths:
        condition = Q(**{f"{path}__in": stores})
        if _many_valued(model, path):
            through |= condition
        else:
            direct |= condition
    if through:
        # A customer of two orders is one row: the reverse paths are asked as an EXISTS, not joined.
        direct |= Q(Exists(model._default_manager.filter(through, pk=OuterRef("pk"))))
    return queryset.filter(direct)


def choice_queryset(queryset, user):
    """What the user may pick in a form: the rows of their stores and, for counterparties, also one that no
    document references yet (a customer just added with «+» beside the order's «Клиент»), so a store can
    take on a new customer; the form shows such a row only once picked (an autocomplete, never a list)."""
    scoped = scope_queryset(queryset, user)
    if _label(queryset.model) != "retail.counterparty" or scoped is queryset:
        return scoped
    free = queryset.filter(customerorder__isnull=True, goodsreceipt__isnull=True)
    return queryset.filter(Q(pk__in=scoped.values("pk")) | Q(pk__in=free.values("pk")))


def can_sync(user) -> bool:
    return user.has_perm(SYNC_PERMISSION)
