"""Cleaning what visitors type: the one cleaner every app uses, kept importable from here."""

from traceobject.text import clean_text

__all__ = ["clean_text"]
