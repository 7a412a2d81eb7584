"""The records the system writes (stock ledger and balances, money movements, the exchange journal, kept
checks, returns reports and their rows) are read, never added, edited or deleted by hand — not even by the
superuser."""
import pytest
from django.contrib import admin
from django.urls import reverse

from backoffice.admin.readonly import ReadOnlyMixin
from offline_exchange.models import ExchangeJournalEntry
from retail.models import Check, MoneyMovement, RetailReturnsReport, StockBalance, StockMovement

pytestmark = pytest.mark.django_db
WRITTEN_BY_THE_SYSTEM = [StockBalance, StockMovement, MoneyMovement, ExchangeJournalEntry, Check,
                        RetailReturnsReport]


@pytest.mark.parametrize("model", WRITTEN_BY_THE_SYSTEM, ids=lambda m: m.__name__)
def test_a_record_the_system_writes_cannot_be_added_changed_or_deleted_even_by_the_superuser(model, admin_client):
    assert isinstance(admin.site._registry[model], ReadOnlyMixin)
    meta = model._meta
    assert admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"), {}).status_code == 403
    assert admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200


def test_a_read_only_admin_refuses_change_and_delete_for_any_record(rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for model in WRITTEN_BY_THE_SYSTEM:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, None)
        assert not model_admin.has_delete_permission(request, None)
        assert model_admin.has_view_permission(request, None)


@pytest.mark.parametrize("model", [Check, RetailReturnsReport], ids=lambda m: m.__name__)
def test_the_rows_of_a_read_only_document_are_read_only_too(model, rf, admin_user):
    request = rf.get("/")
    request.user = admin_user
    for inline in admin.site._registry[model].get_inline_instances(request):
        assert isinstance(inline, ReadOnlyMixin), inline
        assert not inline.has_add_permission(request, None)
        assert not inline.has_change_permission(request, None)
        assert not inline.has_delete_permission(request, None)
