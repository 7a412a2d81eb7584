import uuid
from decimal import Decimal

from django.db import models

from common.money import to_money, vat_included
from common.ru import money_text, quantity_text
from retail.models.catalog import VatRate


class CustomerOrder(models.Model):
    class Status(models.TextChoices):
        NOT_AGREED = "not_agreed", "Не согласован"
        AGREED = "agreed", "Согласован"
        CLOSED = "closed", "Закрыт"

    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    # As 1C numbers documents: the organization's prefix and a sequence within the year (ТДРТ-000001),
    # unique per year; year and sequence kept apart for the counters (`retail.services.numbering`).
    number = models.CharField("Номер", max_length=20, blank=True, db_index=True,
                              help_text="Оставьте пустым: номер будет присвоен автоматически.")
    number_year = models.PositiveSmallIntegerField("Год нумерации", null=True, editable=False)
    number_seq = models.PositiveIntegerField("Порядковый номер", null=True, editable=False)
    date = models.DateTimeField("Дата")
    status = models.CharField("Статус", max_length=12, choices=Status.choices, default=Status.NOT_AGREED)
    is_cancelled = models.BooleanField("Отменен", default=False)
    counterparty = models.ForeignKey("retail.Counterparty", verbose_name="Клиент", on_delete=models.PROTECT, null=True, blank=True)
    store = models.ForeignKey("retail.Store", verbose_name="Магазин", on_delete=models.PROTECT)
    warehouse = models.ForeignKey("retail.Warehouse", verbose_name="Склад сборки", on_delete=models.PROTECT, null=True, blank=True)
    organization = models.ForeignKey("retail.Organization", verbose_name="Организация", on_delete=models.PROTECT)
    desired_date = models.DateTimeField("Желаемая дата продажи", null=True, blank=True)
    address_city = models.CharField("Город", max_length=100, blank=True)
    address_street = models.CharField("Улица", max_length=150, blank=True)
    address_building = models.CharField("Дом", max_length=20, blank=True)
    address_apartment = models.CharField("Квартира", max_length=20, blank=True)
    address_entrance = models.CharField("Подъезд", max_length=20, blank=True)
    address_floor = models.CharField("Этаж", max_length=20, blank=True)
    phone = models.CharField("Телефон", max_length=50, blank=True)
    email = models.EmailField("Электронная почта", blank=True)
    comment = models.TextField("Комментарий", blank=True)
    courier_cash_register = models.ForeignKey(
        "offline_exchange.CashRegister", verbose_name="Касса курьера", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="courier_orders",
        help_text="Заказ выгружается в эту кассу ККМ офлайн (мобильную кассу курьера).",
    )

    class Meta:
        verbose_name = "Заказ покупателя"
        verbose_name_plural = "Заказы покупателей"
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["number", "number_year"], name="customer_order_unique_number_per_year"),
        ]

    def __str__(self) -> str:
        if not self.pk:
            return "Заказ покупателя (новый)"
        return f"Заказ покупателя {self.number} от {self.date:%d.%m.%Y %H:%M:%S}"

    @property
    def total(self):
        return sum((line.amount for line in self.lines.all()), start=0)


class CustomerOrderLine(models.Model):
    order = models.ForeignKey(CustomerOrder, verbose_name="Заказ", on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT)
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика", on_delete=models.PROTECT, null=True, blank=True)
    pack = models.ForeignKey("retail.Pack", verbose_name="Упаковка", on_delete=models.PROTECT, null=True, blank=True)
    quantity = models.DecimalField("Количество", max_digits=15, decimal_places=3)
    price = models.DecimalField("Цена", max_digits=15, decimal_places=2)
    amount = models.DecimalField("Сумма", max_digits=15, decimal_places=2)
    vat_rate = models.CharField("Ставка НДС", max_length=5, blank=True, choices=VatRate.choices,
                                help_text="Пусто — ставка номенклатуры.")
    vat_amount = models.DecimalField("Сумма НДС", max_digits=15, decimal_places=2, default=0)

    class Meta:
        verbose_name = "Строка заказа"
        verbose_name_plural = "Товары"

    def __str__(self) -> str:
        return f"{self.item} × {quantity_text(self.quantity)}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.item_id:
            if self.characteristic_id and self.characteristic.item_id != self.item_id:
                errors["characteristic"] = f"Характеристика «{self.characteristic}» не относится к номенклатуре «{self.item}»."
            if self.pack_id and self.pack.item_id != self.item_id:
                errors["pack"] = f"Упаковка «{self.pack}» не относится к номенклатуре «{self.item}»."
        if self.quantity is not None and self.quantity <= 0:
            errors["quantity"] = "Количество должно быть больше нуля."
        if self.price is not None and self.price < 0:
            errors["price"] = "Цена не может быть отрицательной."
        if errors:
            raise ValidationError(errors)

    def calculate(self) -> None:
        """Sum and VAT from quantity × price, prices including VAT (1C's default); the rate is the line's
        own, else the item's."""
        if not self.vat_rate:
            self.vat_rate = self.item.vat_rate
        self.amount = to_money(Decimal(self.quantity) * Decimal(self.price))
        self.vat_amount = vat_included(self.amount, VatRate.percent(self.vat_rate))


class CustomerOrderPayment(models.Model):
    class Kind(models.TextChoices):
        CASH = "cash", "Наличные"
        ELECTRONIC = "electronic", "Безналичная оплата"

    order = models.ForeignKey(CustomerOrder, verbose_name="Заказ", on_delete=models.CASCADE, related_name="payments")
    date = models.DateTimeField("Дата")
    kind = models.CharField("Вид оплаты", max_length=10, choices=Kind.choices, default=Kind.CASH)
    amount = models.DecimalField("Сумма предоплаты", max_digits=15, decimal_places=2)

    class Meta:
        verbose_name = "Предоплата"
        verbose_name_plural = "Предоплаты"

    def __str__(self) -> str:
        return money_text(self.amount)
