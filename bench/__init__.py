"""Kraken Bot's benchmark (`make bench`) and search-quality measurement (`make bench-search`)."""
