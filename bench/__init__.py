"""Kraken Bot's benchmark (`make bench`), search-quality measurement (`make bench-search`) and
answer-quality evals (`make eval`)."""
