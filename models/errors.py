"""What the rules raise when a request cannot be carried out.

Messages are plain sentences meant for the person who asked; whoever shows
them (Slack, the console) escapes them for its medium.
"""


class InputError(Exception):
    """Bad input: the message says what was wrong and what would work; `field` names the input
    it concerns (a form shows the message beside it)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


class NotFound(InputError):
    pass


class Refused(InputError):
    """The request is understood but not allowed."""


class ServiceDown(Exception):
    """A service the bot needs is not answering, or (`state`) answers but takes no changes;
    `service` names it for the user."""

    def __init__(self, service: str, state: str = "not answering"):
        super().__init__(f"The {service} is {state}")
        self.service = service
        self.state = state
