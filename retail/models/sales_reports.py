from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from retail.models.shift_documents import MONEY, GoodsValues, NumberedLine, ShiftDocument


class RetailSalesReport(ShiftDocument):
    """Отчет о розничных продажах: one closed (or still open) shift of one cash register."""

    cash_register = models.ForeignKey(
        "offline_exchange.CashRegister", verbose_name="Касса ККМ", on_delete=models.PROTECT, null=True,
        related_name="sales_reports",
    )
    device = models.ForeignKey(
        "offline_exchange.OfflineDevice", verbose_name="Подключаемое оборудование", on_delete=models.PROTECT,
        related_name="sales_reports",
    )
    prices_include_vat = models.BooleanField("Цена включает НДС", default=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="Ответственный", on_delete=models.SET_NULL, null=True, blank=True,
    )
    shift_uuid = models.UUIDField("Идентификатор смены", null=True, blank=True)
    shift_number = models.CharField("Номер смены", max_length=50)
    shift_opened_at = models.DateTimeField("Дата открытия смены")
    shift_closed_at = models.DateTimeField("Дата закрытия смены", null=True, blank=True)
    shift_closed = models.BooleanField("Смена закрыта", default=False)
    total = models.DecimalField("Всего", **MONEY)
    vat_total = models.DecimalField("НДС в т.ч.", **MONEY)
    returns_total = models.DecimalField("Возврат", **MONEY)
    cash_total = models.DecimalField("Наличными", **MONEY)
    # Cash paid back on return checks (part of cash_total, which is net): the cash ledger books the sales
    # and the returns as movements of their own.
    cash_returns_total = models.DecimalField("Возвращено наличными", **MONEY)
    prepayment_total = models.DecimalField("Зачтено предоплатой", **MONEY)
    postpayment_total = models.DecimalField("В кредит (постоплата)", **MONEY)
    barter_total = models.DecimalField("Встречным предоставлением", **MONEY)
    journal_entry = models.ForeignKey(
        "offline_exchange.ExchangeJournalEntry", verbose_name="Запись журнала обмена", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="sales_reports",
    )
    history = HistoricalRecords(verbose_name="История изменений отчета")

    class Meta(ShiftDocument.Meta):
        verbose_name = "Отчет о розничных продажах"
        verbose_name_plural = "Отчеты о розничных продажах"
        constraints = [
            models.UniqueConstraint(fields=["number", "number_year"], name="sales_report_unique_number_per_year"),
            models.UniqueConstraint(
                fields=["device", "shift_uuid"], name="sales_report_unique_shift_uuid",
                condition=models.Q(shift_uuid__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["device", "shift_number", "shift_opened_at"], name="sales_report_unique_shift_without_uuid",
                condition=models.Q(shift_uuid__isnull=True),
            ),
        ]


class _ReportLine(NumberedLine):
    report = models.ForeignKey(RetailSalesReport, verbose_name="Отчет о розничных продажах", on_delete=models.CASCADE, related_name="%(class)s_set")

    class Meta(NumberedLine.Meta):
        abstract = True


class SalesReportGoodsLine(_ReportLine, GoodsValues):
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT, null=True)
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика", on_delete=models.PROTECT, null=True)
    pack = models.ForeignKey("retail.Pack", verbose_name="Упаковка", on_delete=models.PROTECT, null=True)
    order = models.ForeignKey("retail.CustomerOrder", verbose_name="Заказ", on_delete=models.PROTECT, null=True)

    class Meta(_ReportLine.Meta):
        verbose_name = "Товар"
        verbose_name_plural = "Товары"


class SalesReportReturnedLine(_ReportLine, GoodsValues):
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT, null=True)
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика", on_delete=models.PROTECT, null=True)
    pack = models.ForeignKey("retail.Pack", verbose_name="Упаковка", on_delete=models.PROTECT, null=True)

    class Meta(_ReportLine.Meta):
        verbose_name = "Возвращенный товар"
        verbose_name_plural = "Возвращенные товары"


class SalesReportCardPayment(_ReportLine):
    payment_kind = models.ForeignKey("offline_exchange.PaymentKind", verbose_name="Вид оплаты", on_delete=models.PROTECT)
    option_code = models.CharField("Код вида электронной оплаты", max_length=36, blank=True)
    amount = models.DecimalField("Сумма", **MONEY)

    class Meta(_ReportLine.Meta):
        verbose_name = "Оплата платежной картой"
        verbose_name_plural = "Оплата платежными картами"


class SalesReportBankCreditPayment(_ReportLine):
    payment_kind = models.ForeignKey("offline_exchange.PaymentKind", verbose_name="Вид оплаты", on_delete=models.PROTECT)
    bank = models.CharField("Банк", max_length=150, blank=True)
    option_code = models.CharField("Код вида электронной оплаты", max_length=36, blank=True)
    amount = models.DecimalField("Сумма", **MONEY)
    commission_percent = models.DecimalField("Процент комиссии", max_digits=5, decimal_places=2, default=0)
    commission_amount = models.DecimalField("Сумма комиссии", **MONEY)

    class Meta(_ReportLine.Meta):
        verbose_name = "Оплата банковским кредитом"
        verbose_name_plural = "Оплата банковскими кредитами"


class SalesReportSettlement(_ReportLine):
    order = models.ForeignKey("retail.CustomerOrder", verbose_name="Заказ", on_delete=models.PROTECT, null=True)
    order_uuid = models.UUIDField("Идентификатор заказа (как прислан)")
    shipped_amount = models.DecimalField("Сумма отгрузки", **MONEY)
    paid_amount = models.DecimalField("Сумма оплаты", **MONEY)

    class Meta(_ReportLine.Meta):
        verbose_name = "Расчет с клиентом"
        verbose_name_plural = "Расчеты с клиентами"


class SalesReportCashMovement(_ReportLine):
    class Direction(models.TextChoices):
        INCOME = "Income", "Внесение"
        OUTCOME = "Outcome", "Выемка"

    date = models.DateTimeField("Дата")
    number = models.CharField("Номер", max_length=50)
    direction = models.CharField("Вид движения", max_length=7, choices=Direction.choices)
    amount = models.DecimalField("Сумма", **MONEY)
    uuid = models.UUIDField("Идентификатор", null=True, blank=True)

    class Meta(_ReportLine.Meta):
        verbose_name = "Внесение/выемка"
        verbose_name_plural = "Внесения и выемки"


class SalesReportExciseStamp(_ReportLine):
    check_number = models.CharField("Номер чека", max_length=50)
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT, null=True)
    sent_code = models.CharField("Код (как прислан)", max_length=36, blank=True)
    stamp = models.TextField("Код маркировки")

    class Meta(_ReportLine.Meta):
        verbose_name = "Акцизная марка"
        verbose_name_plural = "Акцизные марки и коды маркировки"


class SalesReportCheck(models.Model):
    """The UUID of a sale check of the report, so that a later return check naming it finds its sale."""

    report = models.ForeignKey(RetailSalesReport, verbose_name="Отчет о розничных продажах", on_delete=models.CASCADE,
                               related_name="sale_checks")
    uuid = models.UUIDField("Идентификатор чека", db_index=True)

    class Meta:
        verbose_name = "Чек продажи"
        verbose_name_plural = "Чеки продажи"

    def __str__(self) -> str:
        return str(self.uuid)


class SalesReportReturnSource(models.Model):
    """Returned goods of the report whose return check names a sale check of an earlier report: they come
    back at the cost that sale took them out at."""

    report = models.ForeignKey(RetailSalesReport, verbose_name="Отчет о розничных продажах", on_delete=models.CASCADE,
                               related_name="return_sources")
    item = models.ForeignKey("retail.Item", verbose_name="Номенклатура", on_delete=models.PROTECT, related_name="+")
    characteristic = models.ForeignKey("retail.Characteristic", verbose_name="Характеристика",
                                       on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.DecimalField("Количество", max_digits=15, decimal_places=3)
    sale_check = models.UUIDField("Идентификатор чека продажи", db_index=True)
    # Empty while the shift of that sale has not been uploaded yet; filled (and the return re-posted) when it is.
    sale_report = models.ForeignKey(RetailSalesReport, verbose_name="Отчет с продажей", on_delete=models.SET_NULL,
                                    null=True, related_name="+")

    class Meta:
        verbose_name = "Возврат по чеку продажи"
        verbose_name_plural = "Возвраты по чекам продажи"

    def __str__(self) -> str:
        return f"{self.item}: {self.quantity}"
