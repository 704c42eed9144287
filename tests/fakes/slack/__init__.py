"""A fake Slack (Web API + Socket Mode) and the inbound payload builders for adapter tests."""

from .payloads import Inbound, PayloadFactory, SignedRequest, sign, signature_headers
from .server import ApiCall, AppReply, FakeSlack, SlackError, find_pings, make_user

__all__ = [
    "ApiCall",
    "AppReply",
    "FakeSlack",
    "Inbound",
    "PayloadFactory",
    "SignedRequest",
    "SlackError",
    "find_pings",
    "make_user",
    "sign",
    "signature_headers",
]
