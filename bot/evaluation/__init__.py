"""Measuring the matcher on labelled data: the frozen real-news set and its report."""
