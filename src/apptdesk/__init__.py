"""apptdesk: appointments for a medical second-opinion platform (desktop client and API server)."""

__version__ = "0.1.0"
