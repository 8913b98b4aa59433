"""The notifier: every event to the WebSocket clients of its rooms, numbered, resumable."""
