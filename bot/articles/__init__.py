"""Tracking an article: its main text, the sentences in it worth tracking, each made to stand alone."""
