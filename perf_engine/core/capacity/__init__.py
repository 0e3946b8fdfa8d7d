"""Capacity: the model, its recommendation and report, the bench it is compared with."""
