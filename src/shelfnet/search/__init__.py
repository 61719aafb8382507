"""Federated search: fan a query out to many targets, merge, rate, rank, batch.

``engine`` searches the targets and streams what happens; ``merge`` clusters the records of
one book; ``rank`` orders clusters by relevance and record quality; ``session`` puts them
together for the command line and the web page.
"""
