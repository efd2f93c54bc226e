"""Textual screens of kpireview: one module per screen; they call the core, never files."""
