"""All PySide6 code of the studio lives here and nowhere else."""
