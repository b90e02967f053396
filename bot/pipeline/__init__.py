"""The ingestion path: fetch, parse, identify, schedule, poll."""
