"""Who may see what: the stores a staff member is bound to, the store each scoped model belongs to, and
the right to sync. Every read that shows store data applies these, the admin's mixins included."""
from __future__ import annotations

from django.db.models import Q

SYNC_PERMISSION = "offline_exchange.sync_data"
SYNC_PERMISSION_Q = (
    Q(user_permissions__codename="sync_data", user_permissions__content_type__app_label="offline_exchange")
    | Q(groups__permissions__codename="sync_data", groups__permissions__content_type__app_label="offline_exchange")
)


def staff_store_ids(user) -> list[int] | None:
    """The stores a staff member is bound to; None when the user is not limited to stores (a superuser,
    or staff bound to no store, whose model permissions alone decide)."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    cached = getattr(user, "_staff_store_ids", None)
    if cached is None:
        cached = user._staff_store_ids = list(user.stores.values_list("pk", flat=True))
    return cached or None


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


def scope_queryset(queryset, user):
    """Only the rows of the user's stores, for a model that belongs to stores; others unchanged."""
    paths = STORE_PATHS.get(_label(queryset.model))
    stores = staff_store_ids(user)
    if paths is None or stores is None:
        return queryset
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{path}__in": stores})
    return queryset.filter(condition)


def can_sync(user) -> bool:
    return user.has_perm(SYNC_PERMISSION)
