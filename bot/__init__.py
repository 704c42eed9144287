"""Rapport: layered, reciprocal getting-to-know-you rounds for Discord and Slack."""
