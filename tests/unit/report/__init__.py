"""Tests of monitoring.report."""
