"""Pure data handling of the console: watchlist files and values typed by a person."""
