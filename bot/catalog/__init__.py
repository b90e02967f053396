"""Feed and claim management shared by the CLI and the bot: validation, seeds, OPML."""
