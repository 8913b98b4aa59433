"""The tasks service: the board, its replica of the projects service, and its events."""
