"""The terminal adapter: renders deliveries with rich; `rapport demo` plays a round with it."""
