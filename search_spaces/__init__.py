"""Built-in search spaces; installed as `recommender.spaces` so `--space NAME` works anywhere."""
