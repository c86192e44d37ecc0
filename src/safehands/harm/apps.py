from django.apps import AppConfig


class HarmConfig(AppConfig):
    name = "safehands.harm"
    label = "harm"
