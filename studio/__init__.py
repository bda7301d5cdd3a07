"""Floor 3: the application the user drives (session, project, exporters, CLI, GUI)."""
