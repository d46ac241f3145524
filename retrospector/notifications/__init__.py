"""Notifications: in the app (a bell and a page) and by e-mail, sent by the worker."""
