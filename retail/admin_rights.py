"""Rights that hold in the admin: staff bound to stores see and change only those stores' objects, the
history of a received document cannot be reverted, and admin actions declare the permission they need.

Applied to the ModelAdmins as mixins (kept apart from the admins themselves, so their code stays as it is).
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

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


class StoreScopedAdminMixin:
    """Lists, pages, actions (they get the list's queryset) and choices limited to the user's stores."""

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    # Foreign keys offered whatever the user's stores (a transfer may go to another store's warehouse).
    unscoped_choices: tuple[str, ...] = ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and db_field.name not in self.unscoped_choices:
            field.queryset = scope_queryset(field.queryset, request.user)
        return field

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Who belongs to a store is the superuser's decision, never the store staff's own.
        if "staff" in [f.name for f in self.model._meta.many_to_many] and not request.user.is_superuser:
            fields.append("staff")
        return fields


class SyncUsersFieldMixin:
    """The device's «Пользователи синхронизации» offers the logins that hold the sync permission."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "users":
            kwargs["queryset"] = (get_user_model().objects.filter(SYNC_PERMISSION_Q, is_active=True)
                                  .distinct().order_by("username"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class GuardedHistoryMixin:
    """django-simple-history saves a version's form on POST with the view permission alone; here a
    revert needs the change permission, is refused for received documents (`history_revert_allowed`
    False), and the history of an object outside the user's stores is not shown at all."""

    history_revert_allowed = True

    def revert_disabled(self, request, obj=None):
        return not self.history_revert_allowed or not self.has_change_permission(request, obj) \
            or super().revert_disabled(request, obj)

    def _in_scope(self, request, object_id):
        if self.get_object(request, object_id) is None:
            raise Http404("Объект не найден")

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_scope(request, object_id)
        if request.method == "POST" and self.revert_disabled(request, self.get_object(request, object_id)):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
