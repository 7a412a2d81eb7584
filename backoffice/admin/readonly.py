"""Records the system writes and a person only reads: the stock ledger and balances, money movements, the
exchange journal, kept checks, the documents an upload makes and their rows. As 1C's registers, they change
through the documents or uploads that wrote them, never by hand."""
from django.contrib import admin

from common.ru import money_text, quantity_text


class ReadOnlyMixin:
    """Refuses adding, editing and deleting; before a ModelAdmin (or a history admin) in the bases."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class GoodsMoneyColumns:
    """A goods row's quantity, price and amount as 1C shows them (`1 306,84`), for a read-only inline."""

    @admin.display(description="Количество")
    def quantity_shown(self, obj):
        return quantity_text(obj.quantity)

    @admin.display(description="Цена")
    def price_shown(self, obj):
        return money_text(obj.price)

    @admin.display(description="Сумма")
    def amount_shown(self, obj):
        return money_text(obj.amount)
