"""claimbot: watch news feeds, recognise tracked claims as they recur or change, alert subscribers."""

__version__ = "0.1.0"
