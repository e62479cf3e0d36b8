"""Screens of the console: the watchlist (main) and help."""
