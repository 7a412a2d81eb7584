"""Store scope in the admin, applied by the site to every admin and inline (`admin_site.with_site_rules`), so
a new admin is scoped without asking: its lists and pages, actions (they get the list's queryset), the
choices of its forms and list filters, the autocompletes that search it, its delete page. The rule is the
domain's (`retail.rights`); this only applies it to what the admin reads.

Kept out of `backoffice.admin`: the site imports it while that package's modules are still registering.
"""
from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.admin import FieldListFilter, RelatedFieldListFilter
from django.contrib.admin.utils import NestedObjects, get_model_from_relation, quote
from django.core.exceptions import PermissionDenied
from django.db import router
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from retail.rights import NO_STORES_TEXT, choice_queryset, is_scoped, scope_queryset, staff_store_ids


class StoreScopedAdminMixin:
    """Lists, pages, actions, choices and the delete page limited to the user's stores."""

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    def history_view(self, request, object_id, extra_context=None):
        # Django looks the object up first: staff without the right would be told it does not exist in their
        # stores (a redirect) instead of being refused.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        if is_scoped(self.model) and staff_store_ids(request.user) == [] and request.method == "GET":
            # An empty list says why it is empty.
            self.message_user(request, NO_STORES_TEXT, messages.WARNING)
        return super().changelist_view(request, extra_context)

    def _scoped_choices(self, db_field, request, field):
        # An admin's `unscoped_choices` names the foreign keys offered whatever the user's stores (a transfer
        # may go to another store's warehouse). Read, not declared here: the site puts this mixin first.
        unscoped = getattr(self, "unscoped_choices", ())
        if field is not None and hasattr(field, "queryset") and db_field.name not in unscoped:
            field.queryset = choice_queryset(field.queryset, request.user)
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return self._scoped_choices(db_field, request, super().formfield_for_foreignkey(db_field, request, **kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return self._scoped_choices(db_field, request, super().formfield_for_manytomany(db_field, request, **kwargs))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Who belongs to a store is the superuser's decision, never the store staff's own.
        if "staff" in [f.name for f in self.model._meta.many_to_many] and not request.user.is_superuser:
            fields.append("staff")
        return fields

    def get_list_filter(self, request):
        # A filter named with Django's own class gets the scoped one, as a filter named by its field does.
        return [(item[0], ScopedRelatedFieldListFilter) if isinstance(item, tuple)
                and item[1] is RelatedFieldListFilter else item for item in super().get_list_filter(request)]

    def get_deleted_objects(self, objs, request):
        """Django's list of what a deletion takes with it, but another store's objects are not named (and
        a deletion that would reach them is refused)."""
        objs = list(objs)
        if not objs:
            return [], {}, set(), []
        collector = NestedObjects(using=router.db_for_write(objs[0]._meta.model), origin=objs)
        collector.collect(objs)
        reached = defaultdict(set)
        for obj in [*(o for found in collector.data.values() for o in found), *collector.protected]:
            if is_scoped(type(obj)):
                reached[type(obj)].add(obj.pk)
        allowed = {model: set(scope_queryset(model._default_manager.filter(pk__in=pks), request.user)
                               .values_list("pk", flat=True)) for model, pks in reached.items()}
        perms_needed = set()

        def shown(obj):
            opts = obj._meta
            if type(obj) in allowed and obj.pk not in allowed[type(obj)]:
                perms_needed.add(f"{opts.verbose_name} другого магазина")
                return f"{capfirst(opts.verbose_name)}: другого магазина"
            if not self.admin_site.is_registered(type(obj)):
                return f"{capfirst(opts.verbose_name)}: {obj}"
            if not self.admin_site.get_model_admin(type(obj)).has_delete_permission(request, obj):
                perms_needed.add(opts.verbose_name)
            try:
                url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                              args=(quote(obj.pk),))
            except NoReverseMatch:
                return f"{capfirst(opts.verbose_name)}: {obj}"
            return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)

        to_delete = collector.nested(shown)
        protected = [shown(obj) for obj in collector.protected]
        counts = {model._meta.verbose_name_plural: len(found) for model, found in collector.model_objs.items()}
        return to_delete, counts, perms_needed, protected


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A list filter over a relation offers only the user's stores' objects (Django offers every row)."""

    def field_choices(self, field, request, model_admin):
        related = get_model_from_relation(field)
        if not is_scoped(related):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        allowed = scope_queryset(related._default_manager.all(), request.user)
        return field.get_choices(include_blank=False, ordering=ordering,
                                 limit_choices_to=Q(pk__in=allowed.values("pk")))


# Every relation named in a list_filter, in every admin (the project's and the libraries').
FieldListFilter.register(lambda f: f.remote_field, ScopedRelatedFieldListFilter, take_priority=True)
