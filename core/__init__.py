"""Shared base: settings, the error family and the phrases a person reads."""
