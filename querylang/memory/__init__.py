"""The in-memory engine: a typed query -> generated Python over records -> the Feathers page.

``compile`` makes the predicate, sort key and streaming window of a query; ``find`` runs
them over any iterable of records.
"""
