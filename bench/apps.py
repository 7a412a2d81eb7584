from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmarks and load tools: thin management commands over measurement code, kept out of the
    production apps. It owns no models."""

    name = "bench"
    verbose_name = "Замеры"
