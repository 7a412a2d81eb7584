"""Cash at the registers and in the store's cash desk (1C's «Денежные средства ККМ» and «Денежные средства в
кассах»), and the document that moves a shift's cash from the register to the desk.

A posted document owns the money rows naming it, as it owns its stock rows; both are written only by
`retail.services.posting`.
"""
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from retail.models.stock import MONEY, StockDocument

STORE_CASH_DESK = "Касса магазина"


class CashWithdrawal(StockDocument):
    """Выемка денежных средств из кассы ККМ: the register's cash goes to the store's cash desk.

    Made and posted after each upload of a shift (when the store's setting says so), re-made when the
    shift is sent again; a person may also write one, or change the amount of a made one."""

    store = models.ForeignKey("retail.Store", verbose_name="Магазин", on_delete=models.PROTECT, related_name="+")
    cash_register = models.ForeignKey("offline_exchange.CashRegister", verbose_name="Касса ККМ",
                                      on_delete=models.PROTECT, related_name="cash_withdrawals")
    amount = models.DecimalField("Сумма", **MONEY, default=0)
    sales_report = models.ForeignKey("retail.RetailSalesReport", verbose_name="Отчет о розничных продажах",
                                     on_delete=models.SET_NULL, null=True, blank=True, editable=False,
                                     related_name="cash_withdrawals")

    class Meta(StockDocument.Meta):
        verbose_name = "Выемка денежных средств из кассы ККМ"
        verbose_name_plural = "Выемки денежных средств из касс ККМ"

    def stock_rows(self):
        return []


class MoneyMovement(models.Model):
    """One row of the cash ledger: + in, − out, of a register or (no register) of the store's cash desk."""

    class Kind(models.TextChoices):
        SALE = "sale", "Продажа за наличные"
        RETURN = "return", "Возврат покупателю"
        CASH_IN = "cash_in", "Внесение в кассу ККМ"
        CASH_OUT = "cash_out", "Выемка из кассы ККМ"
        WITHDRAWAL = "withdrawal", "Выемка в кассу магазина"

    date = models.DateTimeField("Период", db_index=True)
    store = models.ForeignKey("retail.Store", verbose_name="Магазин", on_delete=models.PROTECT,
                              related_name="money_movements")
    cash_register = models.ForeignKey("offline_exchange.CashRegister", verbose_name="Касса ККМ",
                                      on_delete=models.PROTECT, null=True, blank=True, related_name="money_movements",
                                      help_text="Пусто — касса магазина.")
    kind = models.CharField("Вид движения", max_length=10, choices=Kind.choices)
    amount = models.DecimalField("Сумма", **MONEY)
    document_type = models.ForeignKey(ContentType, verbose_name="Вид документа", on_delete=models.PROTECT)
    document_id = models.PositiveBigIntegerField("Документ")
    document = GenericForeignKey("document_type", "document_id")
    line_number = models.PositiveIntegerField("N", default=0)

    class Meta:
        verbose_name = "Движение денежных средств"
        verbose_name_plural = "Движения денежных средств"
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["document_type", "document_id"], name="money_move_document"),
            models.Index(fields=["store", "date"], name="money_move_store"),
        ]

    def __str__(self) -> str:
        return f"{self.place}: {self.amount}"

    @property
    def place(self) -> str:
        return str(self.cash_register) if self.cash_register_id else STORE_CASH_DESK
