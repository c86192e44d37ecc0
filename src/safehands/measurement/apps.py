from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "safehands.measurement"
    label = "measurement"
