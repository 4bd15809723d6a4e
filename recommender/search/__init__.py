"""Search engines over a `SearchSpace`; `trial.py` trains and scores one configuration."""
