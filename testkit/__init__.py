"""What tests/ and bench/ both drive claimbot with: the Bot API double (botapi), sample feeds (samples) and
the daemon as a subprocess (procs). Not shipped: the wheel packs bot/ and storage/ only."""
