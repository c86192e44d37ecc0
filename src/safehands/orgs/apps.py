from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "safehands.orgs"
    label = "orgs"
    verbose_name = "Organisations and access"
