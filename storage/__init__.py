"""Persistence for claimbot: typed models, sessions, query modules and migrations (never imports ``bot``)."""
