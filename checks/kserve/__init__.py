"""kserve checks."""
