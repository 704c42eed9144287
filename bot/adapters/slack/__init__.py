"""The Slack adapter: slack-bolt `AsyncApp` listeners, Block Kit rendering and the DM sender.

It only translates: Slack payloads become engine commands for the service, and outbox
deliveries become Block Kit messages. Round rules live in `bot.engine`.
"""
