"""What a session does beyond a frame's translation: joining a room and catching up on it."""
