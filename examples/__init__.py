"""Recorded example deployments (the demo replays broken-job/)."""
