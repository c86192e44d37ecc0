from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "safehands.web"
    label = "web"
    verbose_name = "Web shell"
