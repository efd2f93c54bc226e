"""kpireview: a terminal appraisal workbench."""

__version__ = "0.1.0"
