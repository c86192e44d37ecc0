"""Safehands: run a patient-safety programme, from a single ward up to a whole country."""

__version__ = "0.1.0"
