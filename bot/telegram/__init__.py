"""The Telegram side: the transport the sender uses, and the bot's routers (one per feature)."""
