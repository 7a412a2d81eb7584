from django.db import models

from common.ru import money_text, quantity_text


class PriceType(models.Model):
    name = models.CharField("Наименование", max_length=100, unique=True)

    class Meta:
        verbose_name = "Вид цены"
        verbose_name_plural = "Виды цен"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Price(models.Model):
    """A price in force from `date` until the next record of the same position and type."""

    price_type = models.ForeignKey(PriceType, verbose_name="Вид цены", on_delete=models.CASCADE, related_name="prices")
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.CASCADE, related_name="prices")
    characteristic = models.ForeignKey(
        "retail.Characteristic", verbose_name="Характеристика", on_delete=models.CASCADE, null=True, blank=True,
        related_name="prices",
    )
    date = models.DateField("Дата")
    value = models.DecimalField("Цена", max_digits=15, decimal_places=2)

    class Meta:
        verbose_name = "Цена номенклатуры"
        verbose_name_plural = "Цены номенклатуры"
        # Loading and saving files are rights of their own (IMPORT_EXPORT_*_PERMISSION_CODE).
        permissions = [("import_price", "Загрузка из файла"), ("export_price", "Выгрузка в файл")]
        ordering = ["item_id", "characteristic_id", "-date"]
        indexes = [models.Index(fields=["price_type", "item", "date"])]
        constraints = [models.CheckConstraint(condition=models.Q(value__gte=0), name="price_not_negative")]

    def __str__(self) -> str:
        return f"{self.item} — {money_text(self.value)}"


class StockBalance(models.Model):
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад", on_delete=models.CASCADE, related_name="balances")
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.CASCADE, related_name="balances")
    characteristic = models.ForeignKey(
        "retail.Characteristic", verbose_name="Характеристика", on_delete=models.CASCADE, null=True, blank=True,
    )
    quantity = models.DecimalField("Свободный остаток", max_digits=15, decimal_places=3, default=0)
    # The cost of that quantity and the average it leaves at, as the ledger's last row of the position
    # has them (retail.services.costing keeps both).
    cost = models.DecimalField("Себестоимость остатка", max_digits=21, decimal_places=6, default=0)
    average_cost = models.DecimalField("Средняя себестоимость", max_digits=21, decimal_places=6, default=0)

    class Meta:
        verbose_name = "Остаток товара"
        verbose_name_plural = "Остатки товаров"
        indexes = [models.Index(fields=["warehouse", "item"])]
        # The totals of the stock ledger (retail.StockMovement): one row per position and warehouse,
        # so concurrent postings meet on the same row and lock it.
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "item", "characteristic"], name="stock_balance_unique",
                                    condition=models.Q(characteristic__isnull=False)),
            models.UniqueConstraint(fields=["warehouse", "item"], name="stock_balance_unique_no_characteristic",
                                    condition=models.Q(characteristic__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {quantity_text(self.quantity)}"
