"""Tests of monitoring.uploads."""
