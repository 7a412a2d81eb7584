"""What the documents a register's shift makes have in common: the sales report and the returns report carry
the same header (number, date, store, organization, warehouse, posting state) and the same goods columns, and
their lines read as 1C names a table's row («Товар, строка 3»). One definition, so that the two documents
cannot drift apart in what an accountant sees or in how a column is stored.

Abstract: no table of their own. The foreign keys whose reverse names differ per document (device, register,
journal entry, responsible, the lines' item) stay on each document."""
import uuid

from django.db import models

MONEY = {"max_digits": 15, "decimal_places": 2, "default": 0}
QTY = {"max_digits": 15, "decimal_places": 3, "default": 0}


class ShiftDocument(models.Model):
    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("Номер", max_length=20, db_index=True)
    # Numbers are unique per year, as 1C numbers documents; year and sequence kept apart for the counters
    # (`retail.services.numbering`).
    number_year = models.PositiveSmallIntegerField("Год нумерации", editable=False)
    number_seq = models.PositiveIntegerField("Порядковый номер", editable=False)
    date = models.DateTimeField("Дата")
    store = models.ForeignKey("retail.Store", verbose_name="Магазин", on_delete=models.PROTECT, null=True)
    organization = models.ForeignKey("retail.Organization", verbose_name="Организация", on_delete=models.PROTECT,
                                     null=True)
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.PROTECT, null=True)
    comment = models.CharField("Комментарий", max_length=500, blank=True)
    posted = models.BooleanField("Проведен", default=False)
    # Each reason a code and its parameters ({"code": "shift_not_closed"}); their Russian is
    # `retail.services.reasons.reason_text`.
    not_posted_reasons = models.JSONField("Причины, по которым документ не проведен", default=list, blank=True)
    created_at = models.DateTimeField("Создан", auto_now_add=True)
    updated_at = models.DateTimeField("Изменен", auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.number} от {self.date:%d.%m.%Y %H:%M:%S}"


class NumberedLine(models.Model):
    """A row of a document's table, numbered as 1C numbers them."""

    line_number = models.PositiveIntegerField("N")

    class Meta:
        abstract = True
        ordering = ["line_number"]

    def __str__(self) -> str:
        # Wherever Django names a line (history, deletion lists), it reads as 1C's «строка N», not «object (N)».
        return f"{self._meta.verbose_name.capitalize()}, строка {self.line_number}"


class GoodsValues(models.Model):
    """A goods row's columns after its item: the code and Good the register sent, quantities and money."""

    sent_code = models.CharField("Код (как прислан)", max_length=36, blank=True)
    sent_good_uuid = models.UUIDField("Идентификатор товара (как прислан)", null=True, blank=True)
    quantity_packs = models.DecimalField("Количество упаковок", **QTY)
    quantity = models.DecimalField("Количество", **QTY)
    price = models.DecimalField("Цена", **MONEY)
    amount = models.DecimalField("Сумма", **MONEY)
    vat_rate = models.CharField("Ставка НДС", max_length=10, blank=True)
    vat_amount = models.DecimalField("Сумма НДС", **MONEY)

    class Meta:
        abstract = True
