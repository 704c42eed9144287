"""Tests for the question-bank schema, loader, linter and CLI output."""
