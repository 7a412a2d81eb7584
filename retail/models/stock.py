"""The stock ledger and the store's documents that write it (1C's «ТоварыНаСкладах» and its documents).

A posted document owns movement rows naming it; `retail.StockBalance` holds their totals per
(warehouse, item, characteristic). Both are written only by `retail.services.posting`.
"""
import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords

from common.ru import quantity_text
from retail.models.catalog import VatRate

QTY = {"max_digits": 15, "decimal_places": 3}
MONEY = {"max_digits": 15, "decimal_places": 2}
# Cost is kept to six places (common.costing): a millionth of a ruble, so averages do not drift.
COST = {"max_digits": 21, "decimal_places": 6}


class AccountingSettings(models.Model):
    """Настройки учета: one row, like 1C's functional options."""

    forbid_negative_stock = models.BooleanField(
        "Контролировать остаток при проведении", default=False,
        help_text="Документ, после проведения которого остаток товара на складе станет отрицательным, "
                  "не проводится (отчет о розничных продажах сохраняется непроведенным с причиной).",
    )
    manual_order_closing = models.BooleanField(
        "Закрывать заказы покупателей вручную", default=True,
        help_text="Как в 1С: полностью проданный и оплаченный заказ получает состояние «Готов к закрытию», "
                  "а закрывает его пользователь. Выключено — такой заказ закрывается автоматически.",
    )

    class Meta:
        verbose_name = "Настройки учета"
        verbose_name_plural = "Настройки учета"

    def __str__(self) -> str:
        return "Настройки учета"

    @classmethod
    def load(cls) -> "AccountingSettings":
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class StockMovement(models.Model):
    """One row of «Товары на складах»: + receipt, − expense, in base units, written by a posted document.

    Each row also carries its cost and the position's balance after it, in the order of the ledger's
    sequence (`retail.services.costing`): date, then counts after the other documents of the same moment,
    then document, outgoing before incoming rows of one document."""

    class CostKind(models.TextChoices):
        FIXED = "fixed", "По сумме документа"
        AVERAGE = "average", "По средней себестоимости"
        SOURCE = "source", "По себестоимости документа-источника"

    date = models.DateTimeField("Период", db_index=True)
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.PROTECT,
                                  related_name="movements")
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT,
                             related_name="movements")
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика",
                                       on_delete=models.PROTECT, null=True, blank=True)
    quantity = models.DecimalField("Количество", **QTY)
    document_type = models.ForeignKey(ContentType, verbose_name="Вид документа", on_delete=models.PROTECT)
    document_id = models.PositiveBigIntegerField("Документ")
    document = GenericForeignKey("document_type", "document_id")
    line_number = models.PositiveIntegerField("N", default=0)
    # Counts read the balance of their moment, so they come after the other documents of that moment.
    sequence_rank = models.PositiveSmallIntegerField("Порядок в пределах момента", default=0)
    cost = models.DecimalField("Себестоимость", **COST, default=0)
    cost_kind = models.CharField("Оценка", max_length=7, choices=CostKind.choices, default=CostKind.AVERAGE)
    # SOURCE rows take the unit cost of the source document's outgoing rows of the same item: a transfer's
    # receiving row its own sending row, a return the sale it returns.
    source_type = models.ForeignKey(ContentType, verbose_name="Вид документа-источника", on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    source_id = models.PositiveBigIntegerField("Документ-источник", null=True, blank=True)
    balance_quantity = models.DecimalField("Остаток после движения", **QTY, default=0)
    balance_cost = models.DecimalField("Стоимость остатка после движения", **COST, default=0)
    average_cost = models.DecimalField("Средняя себестоимость после движения", **COST, default=0)
    cost_negative = models.BooleanField("Списано сверх остатка", default=False,
                                        help_text="Товара на складе не было: списан по последней известной "
                                                  "средней себестоимости.")

    class Meta:
        verbose_name = "Движение товаров на складах"
        verbose_name_plural = "Движения товаров на складах"
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["document_type", "document_id"], name="stock_move_document"),
            models.Index(fields=["warehouse", "item", "date"], name="stock_move_balance"),
            models.Index(fields=["source_type", "source_id"], name="stock_move_cost_source"),
        ]
        # Purchase prices are not for everybody: the cost columns, reports and the item card's cost need it.
        permissions = [("view_cost", "Просмотр себестоимости")]

    def __str__(self) -> str:
        return f"{self.item}: {quantity_text(self.quantity)}"


class StockDocument(models.Model):
    """What every store document has: number per organization prefix and year, date, posted, history."""

    NUMBER_FIELDS = ("number", "number_year", "number_seq")

    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("Номер", max_length=20, blank=True, editable=False)
    number_year = models.PositiveSmallIntegerField("Год нумерации", null=True, editable=False)
    number_seq = models.PositiveIntegerField("Порядковый номер", null=True, editable=False)
    date = models.DateTimeField("Дата")
    organization = models.ForeignKey("retail.Organization", verbose_name="Организация", on_delete=models.PROTECT,
                                     null=True)
    comment = models.TextField("Комментарий", blank=True)
    posted = models.BooleanField("Проведен", default=False, editable=False)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="Ответственный",
                                    on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField("Создан", auto_now_add=True)
    updated_at = models.DateTimeField("Изменен", auto_now=True)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        when = f" от {self.date:%d.%m.%Y %H:%M:%S}" if self.date else ""
        return f"{self._meta.verbose_name} {self.number or '(новый)'}{when}"

    def stock_rows(self):
        """(warehouse_id, item_id, characteristic_id, signed quantity) the posted document writes."""
        raise NotImplementedError


class StockLine(models.Model):
    line_number = models.PositiveIntegerField("N", default=0)
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT, related_name="+")
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика",
                                       on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        abstract = True
        ordering = ["line_number", "id"]

    def __str__(self) -> str:
        return str(self.item)


def _lines(document):
    return [line for line in document.lines.all() if line.item.kind == "goods"]


class OpeningBalance(StockDocument):
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.PROTECT, related_name="+")

    class Meta(StockDocument.Meta):
        verbose_name = "Ввод начальных остатков"
        verbose_name_plural = "Ввод начальных остатков"

    def stock_rows(self):
        return [(self.warehouse_id, line.item_id, line.characteristic_id, line.quantity) for line in _lines(self)]


class OpeningBalanceLine(StockLine):
    document = models.ForeignKey(OpeningBalance, verbose_name="Документ", on_delete=models.CASCADE, related_name="lines")
    quantity = models.DecimalField("Количество", **QTY)
    price = models.DecimalField("Себестоимость единицы", **MONEY, default=0,
                                help_text="Без НДС для организации, которая выделяет НДС (ОСН).")

    class Meta(StockLine.Meta):
        verbose_name = "Товар"
        verbose_name_plural = "Товары"


class GoodsReceipt(StockDocument):
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey("retail.Counterparty", verbose_name="Поставщик", on_delete=models.PROTECT,
                                 null=True, blank=True)
    supplier_document = models.CharField("Номер входящего документа", max_length=50, blank=True)
    retail_price_type = models.ForeignKey(
        "retail.PriceType", verbose_name="Установить розничные цены", on_delete=models.PROTECT, null=True, blank=True,
        help_text="Если указан вид цены, при проведении розничные цены строк («Розничная цена») вступают в силу "
                  "с даты документа.",
    )

    class Meta(StockDocument.Meta):
        verbose_name = "Поступление товаров"
        verbose_name_plural = "Поступления товаров"

    @property
    def total(self):
        return sum((line.amount for line in self.lines.all()), start=0)

    def stock_rows(self):
        return [(self.warehouse_id, line.item_id, line.characteristic_id, line.quantity) for line in _lines(self)]


class GoodsReceiptLine(StockLine):
    document = models.ForeignKey(GoodsReceipt, verbose_name="Документ", on_delete=models.CASCADE, related_name="lines")
    quantity = models.DecimalField("Количество", **QTY)
    price = models.DecimalField("Цена закупки", **MONEY, default=0)
    amount = models.DecimalField("Сумма", **MONEY, default=0)
    # The purchase sum includes VAT (as the supplier's invoice shows it); an organization that keeps
    # VAT apart (ОСН) takes the goods in at the sum without the VAT of this rate.
    vat_rate = models.CharField("Ставка НДС", max_length=5, choices=VatRate.choices, blank=True)
    retail_price = models.DecimalField("Розничная цена", **MONEY, null=True, blank=True)

    class Meta(StockLine.Meta):
        verbose_name = "Товар"
        verbose_name_plural = "Товары"


class WriteOff(StockDocument):
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("Причина списания", max_length=200)

    class Meta(StockDocument.Meta):
        verbose_name = "Списание товаров"
        verbose_name_plural = "Списания товаров"

    def stock_rows(self):
        return [(self.warehouse_id, line.item_id, line.characteristic_id, -line.quantity) for line in _lines(self)]


class WriteOffLine(StockLine):
    document = models.ForeignKey(WriteOff, verbose_name="Документ", on_delete=models.CASCADE, related_name="lines")
    quantity = models.DecimalField("Количество", **QTY)

    class Meta(StockLine.Meta):
        verbose_name = "Товар"
        verbose_name_plural = "Товары"


class StockCount(StockDocument):
    """Пересчет товаров that ends in its correction: posting writes counted − book as surplus / shortage."""

    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.PROTECT, related_name="+")

    class Meta(StockDocument.Meta):
        verbose_name = "Пересчет товаров"
        verbose_name_plural = "Пересчеты товаров"

    def prepare_posting(self) -> None:
        """Book quantities are the ledger's at the count's moment, without the count's own correction."""
        from django.db.models import Sum

        own = ContentType.objects.get_for_model(self)
        for line in self.lines.all():
            book = (StockMovement.objects.filter(warehouse_id=self.warehouse_id, item_id=line.item_id,
                                                 characteristic_id=line.characteristic_id, date__lte=self.date)
                    .exclude(document_type=own, document_id=self.pk).aggregate(s=Sum("quantity"))["s"]) or 0
            if line.book_quantity != book:
                line.book_quantity = book
                line.save(update_fields=["book_quantity"])

    def stock_rows(self):
        return [(self.warehouse_id, line.item_id, line.characteristic_id, line.counted_quantity - line.book_quantity)
                for line in _lines(self) if line.counted_quantity != line.book_quantity]


class StockCountLine(StockLine):
    document = models.ForeignKey(StockCount, verbose_name="Документ", on_delete=models.CASCADE, related_name="lines")
    book_quantity = models.DecimalField("Количество по учету", **QTY, default=0)
    counted_quantity = models.DecimalField("Количество фактическое", **QTY)

    class Meta(StockLine.Meta):
        verbose_name = "Товар"
        verbose_name_plural = "Товары"

    @property
    def difference(self):
        return self.counted_quantity - self.book_quantity


class StockTransfer(StockDocument):
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад-отправитель", on_delete=models.PROTECT,
                                  related_name="+")
    to_warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад-получатель", on_delete=models.PROTECT,
                                     related_name="+")

    class Meta(StockDocument.Meta):
        verbose_name = "Перемещение товаров"
        verbose_name_plural = "Перемещения товаров"

    def stock_rows(self):
        rows = []
        for line in _lines(self):
            rows.append((self.warehouse_id, line.item_id, line.characteristic_id, -line.quantity))
            rows.append((self.to_warehouse_id, line.item_id, line.characteristic_id, line.quantity))
        return rows


class StockTransferLine(StockLine):
    document = models.ForeignKey(StockTransfer, verbose_name="Документ", on_delete=models.CASCADE, related_name="lines")
    quantity = models.DecimalField("Количество", **QTY)

    class Meta(StockLine.Meta):
        verbose_name = "Товар"
        verbose_name_plural = "Товары"


class PriceSetting(StockDocument):
    """Установка цен номенклатуры: posting writes dated `retail.Price` rows naming the document."""

    price_type = models.ForeignKey("retail.PriceType", verbose_name="Вид цены", on_delete=models.PROTECT)

    class Meta(StockDocument.Meta):
        verbose_name = "Установка цен номенклатуры"
        verbose_name_plural = "Установки цен номенклатуры"

    def stock_rows(self):
        return []


class PriceSettingLine(StockLine):
    document = models.ForeignKey(PriceSetting, verbose_name="Документ", on_delete=models.CASCADE, related_name="lines")
    price = models.DecimalField("Цена", **MONEY)

    class Meta(StockLine.Meta):
        verbose_name = "Товар"
        verbose_name_plural = "Товары"


class PriceDocumentRow(models.Model):
    """Which `retail.Price` rows a posted document wrote, so unposting removes exactly those."""

    price = models.OneToOneField("retail.Price", verbose_name="Цена", on_delete=models.CASCADE, related_name="document_row")
    document_type = models.ForeignKey(ContentType, verbose_name="Вид документа", on_delete=models.CASCADE)
    document_id = models.PositiveBigIntegerField("Документ")

    class Meta:
        verbose_name = "Цена, установленная документом"
        verbose_name_plural = "Цены, установленные документами"
        indexes = [models.Index(fields=["document_type", "document_id"], name="price_doc_row_document")]


STOCK_DOCUMENTS = [OpeningBalance, GoodsReceipt, WriteOff, StockCount, StockTransfer, PriceSetting]
