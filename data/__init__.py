"""The data layer: the Django app `data`, with thin models and their migrations.

Models hold columns, database constraints and indexes, nothing else: no behaviour in `save()`, no
default ordering. Only `domain` (and the admin site in `kraken_bot`) may import `data.models`;
this package imports nothing of ours.
"""
