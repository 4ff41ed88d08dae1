"""orchestrator: the planning and supervision daemon of a file-coordinated multi-agent system."""

__version__ = "0.1.0"
