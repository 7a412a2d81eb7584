from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backoffice.demo import (
    DemoBaseMissingError,
    demo_base_create,
    demo_base_foreign_data,
    demo_base_is_empty,
    demo_history_create,
    demo_seed_shift,
)
from common.ru import money_text, plural


class Command(BaseCommand):
    help = ("Создает (или восстанавливает) демонстрационную базу; повторный запуск дает ту же базу. "
            "С --if-empty — только в пустую базу; с --write-shift — только записывает файл смены.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="записать демо-данные и в базу, где есть свои данные (пароль admin станет admin)")
        parser.add_argument("--if-empty", action="store_true",
                            help="загрузить демо-базу, только если база пуста (так делает ./dev serve): "
                                 "иначе ничего не менять")
        parser.add_argument("--no-history", action="store_true", help="без недели истории (документов и смен)")
        parser.add_argument("--write-shift", metavar="FILE",
                            help="только записать в файл смену, которую могла бы прислать демо-касса (продажа "
                                 "и чек курьера по заказу ТДРТ-000001), для pos_sync --post; база не меняется")
        parser.add_argument("--url", default="http://127.0.0.1:8000",
                            help="адрес сервера в подсказках (по умолчанию http://127.0.0.1:8000)")

    def handle(self, *args, force=False, **options):
        if options["write_shift"]:
            # Only the file: loading or restoring the base here would unpost the reports already uploaded.
            try:
                document = demo_seed_shift()
            except DemoBaseMissingError as exc:
                raise CommandError(str(exc)) from None
            with open(options["write_shift"], "wb") as handle:
                handle.write(document)
            self.stdout.write(f"Смена демо-кассы записана в {options['write_shift']}; выгрузите ее: "
                              "manage.py pos_sync … --post " + options["write_shift"])
            return
        if options["if_empty"] and not demo_base_is_empty():
            self.stdout.write("В базе уже есть данные: демо-база не загружается, данные не меняются.")
            return
        foreign = demo_base_foreign_data()
        if foreign and not force:
            raise CommandError("В базе есть данные, созданные не демо-базой (" + "; ".join(foreign) + "): "
                               "демо-данные не записаны, чтобы не сбросить пароль admin и не изменить товары. "
                               "Укажите --force, если это действительно нужно.")
        base = settings.EQUIPMENT_SERVICE_BASE_NAMES[0] if settings.EQUIPMENT_SERVICE_BASE_NAMES else "rt"
        demo = demo_base_create(base_name=base)
        history = None if options["no_history"] else demo_history_create()
        url = options["url"].rstrip("/")
        device, register, order = demo["device"], demo["cash_register"], demo["order"]
        lines = [
            f"Организация:        {demo['organization']} (ИНН {demo['organization'].inn}, КПП {demo['organization'].kpp})",
            f"Магазин:            {demo['store']}",
            f"Склад правила:      {demo['warehouse']}",
            f"Номенклатура:       {demo['items']} {plural(demo['items'], 'позиция', 'позиции', 'позиций')}",
            f"Правило обмена:     {demo['rule']}",
            f"Оборудование:       {device} — идентификатор {device.device_id}, формат 3.1, Web-сервис",
            f"Касса ККМ:          {register} (ККМ офлайн)",
            f"Оборудование 2:     {demo['device_33']} — идентификатор {demo['device_33'].device_id}, формат 3.3, "
            "Web-сервис",
            f"Касса ККМ 2:        {demo['cash_register_33']} (ККМ офлайн)",
            f"Заказ покупателя:   {order.number}, {order.get_status_display()}, сумма {money_text(order.total)}, касса курьера {register}",
            "Пользователь синхронизации: sync / sync",
            f"Администратор:      admin / admin  ({url}/admin/)",
            f"Публикация:         {base}  →  {url}/{base}/ws/EquipmentService?wsdl",
        ]
        if history:
            lines.append(f"История за неделю:  {history['receipt']}, смен: {len(history['reports'])}, "
                         f"{history['write_off']}, {history['count']}")
        self.stdout.write("\n".join(lines))
