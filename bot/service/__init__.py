"""Application services: the round service, member preferences, the outbox and the scheduler."""
