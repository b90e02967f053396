"""Alerts: rendered once, formatted as Telegram HTML or console text, sent from the outbox."""
