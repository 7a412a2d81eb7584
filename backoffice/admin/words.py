"""Admins of the libraries whose labels are fixed strings (not translatable): registered again in Russian."""
from django.contrib import admin
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult


class TaskResultAdmin(DBTaskResultAdmin):
    list_display = ("task_title", "status", "enqueued_at", "started_at", "finished_at", "priority", "queue_name")

    @admin.display(description="Задание", ordering="task_path")
    def task_title(self, obj):
        return obj.task_name

    @admin.display(description="Трассировка")
    def formatted_traceback(self, obj):
        return super().formatted_traceback(obj)

    @admin.display(description="Выполнить после")
    def display_run_after(self, obj):
        return super().display_run_after(obj)


def admins_replace(site):
    if site.is_registered(DBTaskResult):
        site.unregister(DBTaskResult)
    site.register(DBTaskResult, TaskResultAdmin)
