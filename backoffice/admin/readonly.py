"""Records the system writes and a person only reads: the stock ledger and balances, money movements, the
exchange journal, kept checks. As 1C's registers, they change through the documents that wrote them,
never by hand."""
from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
