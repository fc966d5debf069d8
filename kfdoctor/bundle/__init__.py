"""Support bundles: recording, redaction, packing and safe unpacking."""
