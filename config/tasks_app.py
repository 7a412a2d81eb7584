from django_tasks_db.apps import TasksAppConfig


class BackgroundTasksConfig(TasksAppConfig):
    """django-tasks-db under a Russian name (its own, «Tasks Database Backend», is not translatable)."""

    verbose_name = "Фоновые задания"
