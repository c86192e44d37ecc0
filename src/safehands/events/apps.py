from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "safehands.events"
    label = "events"
    verbose_name = "Patient-safety events"
