"""Чеки ККМ: every check a register uploads, kept read-only as it was sent (1C keeps only the shift's report).

A check belongs to its shift, whose Retail Sales Report stands for it; a re-sent shift replaces its checks.
Kept lean, as there are many (a busy register writes 30,000 lines a day): no denormalized store or register
(they are the report's), marking codes in their own table (only marked lines have them), electronic payments
in their own table (cash and the other parts are columns). The services delete a shift's checks children
first, then the checks, each in one statement (Django's cascade would load every check); a report deleted
by other means takes its checks with it."""
from django.db import models

from retail.models.shift_documents import MONEY, QTY


class Check(models.Model):
    """Чек ККМ as the register sent it: number, time, operation, lines, payments, what it refers to."""

    class Operation(models.IntegerChoices):
        # FFD tag 1054, OperationType of the format.
        SALE = 1, "Продажа"
        SALE_RETURN = 2, "Возврат продажи"
        EXPENSE = 3, "Расход"
        EXPENSE_RETURN = 4, "Возврат расхода"

    class RefType(models.TextChoices):
        CHECK = "Check", "Чек"
        ORDER = "Order", "Заказ покупателя"

    report = models.ForeignKey("retail.RetailSalesReport", verbose_name="Отчет о розничных продажах (смена)",
                               on_delete=models.CASCADE, related_name="checks")
    number = models.CharField("Номер чека", max_length=50, db_index=True)
    date = models.DateTimeField("Время", db_index=True)
    operation = models.PositiveSmallIntegerField("Операция", choices=Operation.choices)
    taxation_system = models.PositiveSmallIntegerField("Система налогообложения", default=0)
    uuid = models.UUIDField("Идентификатор чека (как прислан)", null=True, blank=True, db_index=True)
    # A return names the check it returns; a check made from an order names the order (as sent: the check or
    # order may come later, or never).
    ref_uuid = models.UUIDField("Связанный документ (как прислан)", null=True, blank=True)
    ref_type = models.CharField("Тип связанного документа", max_length=5, choices=RefType.choices, blank=True)
    # Few checks have these two: indexed only where set (see Meta), not a NULL a check.
    order = models.ForeignKey("retail.CustomerOrder", verbose_name="Заказ покупателя", on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+", db_index=False)
    # A return of a check of another shift is booked in its own «Отчет о розничных возвратах».
    returns_report = models.ForeignKey("retail.RetailReturnsReport", verbose_name="Отчет о розничных возвратах",
                                       on_delete=models.SET_NULL, null=True, blank=True, related_name="checks",
                                       db_index=False)
    total = models.DecimalField("Сумма", **MONEY)
    line_count = models.PositiveSmallIntegerField("Строк", default=0)
    cash = models.DecimalField("Наличными", **MONEY)
    electronic = models.DecimalField("Электронно", **MONEY)
    prepayment = models.DecimalField("Зачтено предоплатой", **MONEY)
    postpayment = models.DecimalField("В кредит (постоплата)", **MONEY)
    barter = models.DecimalField("Встречным предоставлением", **MONEY)

    class Meta:
        verbose_name = "Чек ККМ"
        verbose_name_plural = "Чеки ККМ"
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["order"], name="check_order", condition=models.Q(order__isnull=False)),
            models.Index(fields=["returns_report"], name="check_returns_report",
                         condition=models.Q(returns_report__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_operation_display()}: чек № {self.number} от {self.date:%d.%m.%Y %H:%M:%S}"

    @property
    def is_return(self) -> bool:
        return self.operation == self.Operation.SALE_RETURN


class CheckLine(models.Model):
    check_doc = models.ForeignKey(Check, verbose_name="Чек", on_delete=models.CASCADE, related_name="lines",
                                  db_column="check_id")
    line_number = models.PositiveSmallIntegerField("N")
    code = models.CharField("Код (как прислан)", max_length=36, blank=True)
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT, null=True,
                             related_name="+")
    # Looked up only through the line: no index of their own (a report line keeps the same position anyway).
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика",
                                       on_delete=models.PROTECT, null=True, related_name="+", db_index=False)
    pack = models.ForeignKey("retail.Pack", verbose_name="Упаковка", on_delete=models.PROTECT, null=True,
                             related_name="+", db_index=False)
    quantity = models.DecimalField("Количество", **QTY)
    price = models.DecimalField("Цена", **MONEY)
    amount = models.DecimalField("Сумма", **MONEY)
    vat_rate = models.CharField("Ставка НДС (как прислана)", max_length=10, blank=True)
    payment_method = models.PositiveSmallIntegerField("Признак способа расчета", default=4)

    class Meta:
        verbose_name = "Строка чека"
        verbose_name_plural = "Строки чека"
        ordering = ["line_number"]

    def __str__(self) -> str:
        return f"Строка чека {self.line_number}"


class CheckMarkingCode(models.Model):
    """A marking code (or excise stamp) sold or returned on a check line: the way from a code to its check."""

    check_doc = models.ForeignKey(Check, verbose_name="Чек", on_delete=models.CASCADE,
                                  related_name="marking_codes", db_column="check_id")
    line_number = models.PositiveSmallIntegerField("Строка чека")
    code = models.TextField("Код маркировки")

    class Meta:
        verbose_name = "Код маркировки в чеке"
        verbose_name_plural = "Коды маркировки в чеках"
        ordering = ["line_number", "id"]
        # Searched by the code or its beginning (GTIN and serial without the crypto tail): text_pattern_ops
        # lets PostgreSQL use the index for LIKE 'prefix%' whatever the collation (other databases ignore it).
        indexes = [models.Index(fields=["code"], name="check_marking_code", opclasses=["text_pattern_ops"])]

    def __str__(self) -> str:
        return self.code


class CheckPayment(models.Model):
    """An electronic payment of a check with the payment kind it was booked by (the register's mapping of
    its code, or the register's default kind)."""

    check_doc = models.ForeignKey(Check, verbose_name="Чек", on_delete=models.CASCADE, related_name="payments",
                                  db_column="check_id")
    payment_kind = models.ForeignKey("offline_exchange.PaymentKind", verbose_name="Вид оплаты",
                                     on_delete=models.PROTECT, null=True, related_name="+", db_index=False)
    option_code = models.CharField("Код вида электронной оплаты", max_length=36, blank=True)
    amount = models.DecimalField("Сумма", **MONEY)

    class Meta:
        verbose_name = "Электронная оплата чека"
        verbose_name_plural = "Электронные оплаты чека"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payment_kind or 'Вид оплаты не сопоставлен'}: {self.amount}"
