"""attention-autograder: grades written answers to a homework on transformers and attention by meaning."""

__version__ = "0.1.0"
