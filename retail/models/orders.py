import uuid

from django.db import models


class CustomerOrder(models.Model):
    class Status(models.TextChoices):
        NOT_AGREED = "not_agreed", "Не согласован"
        AGREED = "agreed", "Согласован"
        CLOSED = "closed", "Закрыт"

    uuid = models.UUIDField("Идентификатор", default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("Номер", max_length=20, unique=True)
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

    def __str__(self) -> str:
        return f"Заказ покупателя {self.number} от {self.date:%d.%m.%Y}"

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
    vat_rate = models.CharField("Ставка НДС", max_length=5, blank=True)
    vat_amount = models.DecimalField("Сумма НДС", max_digits=15, decimal_places=2, default=0)

    class Meta:
        verbose_name = "Строка заказа"
        verbose_name_plural = "Товары"

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"


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
        return f"{self.amount}"
