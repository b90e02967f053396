"""Alerts: rendered once into a structure, formatted for Telegram (HTML) or the console, sent from the outbox."""
