"""A site cache whose invalidation is O(1): per-DocType generations, an optional L1."""
