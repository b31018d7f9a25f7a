"""Scheduled messages: deadline reminders, monthly risk notices and staff alerts (the notifier's jobs)."""
