"""The projects service: workspaces, their members, projects and each project's task statuses."""
