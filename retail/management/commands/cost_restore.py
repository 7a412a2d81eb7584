"""«Восстановление себестоимости»: the whole stock ledger re-costed from its first row."""
from django.core.management.base import BaseCommand

from retail.services.costing import cost_restore_all


class Command(BaseCommand):
    help = ("Пересчитать себестоимость всех движений товаров с первого (после исправления себестоимости "
            "ввода остатков, внесенного до этой версии, или для проверки: в текущей базе ничего не меняется).")

    def handle(self, *args, **options):
        changed = cost_restore_all()
        self.stdout.write(f"Себестоимость пересчитана: изменено движений {changed}.")
