from django.db import models


class DocumentCounter(models.Model):
    """The last number given to one kind of document for one organization prefix in one year
    (ТДРТ-000041 → 41). Locked only while a number is taken (`retail.services.numbering`), so documents
    of another kind, prefix or year never wait for it."""

    kind = models.CharField("Вид документа", max_length=100)  # the model's label: retail.customerorder
    prefix = models.CharField("Префикс", max_length=20)
    year = models.PositiveSmallIntegerField("Год")
    last = models.PositiveIntegerField("Последний номер", default=0)

    class Meta:
        verbose_name = "Нумератор документов"
        verbose_name_plural = "Нумераторы документов"
        constraints = [models.UniqueConstraint(fields=["kind", "prefix", "year"], name="document_counter_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.prefix} {self.year}: {self.last}"
