"""Leads' reports: a report for every session, its follow-up, monthly digests and charts.

Everything here is content-free: counts and spreads, never a name, a member key or any text a
member wrote. `figures` turns round states into numbers (pure), `chart` draws them as a PNG
(matplotlib's Agg backend, in a worker thread), `service` keeps the reports' deadlines in the
database and queues them through the outbox, and `inbox` gives members whose DMs are closed a
private way to what Rapport couldn't send them.
"""
