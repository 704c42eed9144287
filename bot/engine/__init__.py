"""Pure round rules: state + command + now -> new state + deliveries.

Nothing in this package does I/O or knows which chat platform it runs on; a test enforces that
it imports no platform, database, scheduler or HTTP library.
"""
