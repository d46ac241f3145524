"""Notifications models."""
