"""The notifier: the scheduler process that delivers the outbox and runs reminders."""
