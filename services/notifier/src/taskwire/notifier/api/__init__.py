"""The notifier's two faces on its one port: the WebSocket feed (a session) and its plain
HTTP routes."""
