from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "safehands.assessment"
    label = "assessment"
