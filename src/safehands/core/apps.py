from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "safehands.core"
    label = "core"
    verbose_name = "Core"
