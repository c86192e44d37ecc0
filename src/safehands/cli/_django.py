"""Start Django for the commands that need the database."""

from __future__ import annotations

import os


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safehands.settings")
    import django

    django.setup()
