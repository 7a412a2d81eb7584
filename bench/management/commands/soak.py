"""A bounded soak run: devices syncing in a loop against a running server, its memory watched."""
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Длительная проверка: устройства циклически выполняют обмен (по умолчанию 10 минут) против "
            "запущенного сервера на этой машине; печатает ошибки и память процессов сервера.")

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True)
        parser.add_argument("--server-pid", type=int, nargs="+", required=True,
                            help="PID of the server (gunicorn master or runserver); children are included")
        parser.add_argument("--devices", type=int, default=10)
        parser.add_argument("--minutes", type=float, default=10)
        parser.add_argument("--template-device", default="")
        parser.add_argument("--user", default="sync")
        parser.add_argument("--password", default="sync")

    def handle(self, *args, url, server_pid, devices, minutes, template_device, user, password, **options):
        call_command("load_devices", url=url, devices=devices, duration=minutes * 60, watch_pid=server_pid,
                     template_device=template_device, user=user, password=password, stdout=self.stdout)
