"""embrec: measure whether a text classifier should use frozen, fine-tuned or learned embeddings."""

__version__ = "0.1.0"
