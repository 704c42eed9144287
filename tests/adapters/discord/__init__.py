"""Tests of the Discord adapter and of the fake Discord it runs against."""
