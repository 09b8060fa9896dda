"""A local Slack for testing the incident bot: Web API and Socket Mode on 127.0.0.1, signed
HTTP deliveries, recorded calls and fault injection. Start with `FakeSlack().start()`.
"""

from fakeslack.calls import Call
from fakeslack.delivery import Delivery
from fakeslack.fake import FakeSlack

__all__ = ["Call", "Delivery", "FakeSlack"]
