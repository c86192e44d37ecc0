from django.apps import AppConfig


class CultureConfig(AppConfig):
    name = "safehands.culture"
    label = "culture"
