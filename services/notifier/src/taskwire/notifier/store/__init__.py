"""What the notifier keeps in Redis: each room's numbered history, and who is connected where."""
