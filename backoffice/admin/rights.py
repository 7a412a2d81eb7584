"""Rights that hold in the admin: the history of a received document cannot be reverted, a device's sync
logins are those holding the sync right, and admin actions declare the permission they need.

Applied to the ModelAdmins as mixins; the rules themselves are the domain's (`retail.rights`). The store
scope is applied by the site to every admin (`backoffice.admin_scope`), none has to ask for it.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404

from retail.rights import SYNC_PERMISSION_Q


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
