from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "safehands.catalogue"
    label = "catalogue"
    verbose_name = "Programme catalogue"
    default_auto_field = "django.db.models.BigAutoField"
