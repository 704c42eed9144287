"""Tests of the Slack adapter and of the fake Slack it runs against."""
