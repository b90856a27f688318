"""The stand-in Slack with the tests' controls: faults and slow answers on demand, departed users, the
channels the bot is in, a clean slate."""
import threading
from dataclasses import dataclass

from bot.offline.standin import Refusal, SlackStandIn


@dataclass
class Fault:
    method: str
    refusal: Refusal
    times: int


# The channel the tests' managers choose for the digest; the bot is in it, as in the team channel.
DIGEST_CHANNEL = "C0DIGEST"


class StandInWithControls(SlackStandIn):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.joined.add(DIGEST_CHANNEL)
        self._held: dict[str, threading.Event] = {}  # method -> released when the test says so
        self.cleared: list = []  # calls a test's reset() cleared, still to be checked after it
        self.answering = 0  # calls being answered now: the bot is waiting on "Slack"
        self._faults: list[Fault] = []

    def fail_next(self, method: str, status: int = 429, times: int = 1, retry_after: int = 1) -> None:
        with self._changed:
            self._faults.append(Fault(method, Refusal(status, retry_after), times))

    def clear_faults(self) -> None:
        with self._changed:
            self._faults.clear()

    def hold_next(self, method: str) -> threading.Event:
        """Keep the next call to `method` unanswered until the returned event is set (or 5 minutes pass)."""
        released = threading.Event()
        with self._changed:
            self._held[method] = released
        return released

    def hold(self, method: str, args: dict) -> None:
        with self._changed:
            released = self._held.pop(method, None)
        if released is not None:
            released.wait(300)

    def delete_canvas(self, canvas_id: str) -> None:
        """Someone deletes the canvas in Slack."""
        with self._changed:
            self.canvases[canvas_id]["deleted"] = True

    def refuse_channel_canvases(self, error: str = "team_tier_cannot_create_channel_canvases") -> None:
        """The workspace's plan refuses channel canvases, in Slack's words."""
        self.channel_canvas_refusal = error

    def refuse_standalone_canvases(self, error: str = "free_teams_cannot_create_non_tabbed_canvases") -> None:
        self.standalone_canvas_refusal = error

    def all_calls(self) -> list:
        """Every call recorded since the test began, those its resets cleared included, in order."""
        with self._changed:
            return self.cleared + self.calls

    def reset(self) -> None:
        with self._changed:
            self.cleared += self.calls
            self.calls = []
            self.messages.clear()
            self.views.clear()
            self.files.clear()
            self.canvases.clear()
            self.channel_canvas_refusal = self.standalone_canvas_refusal = ""
            self._faults.clear()
            for released in self._held.values():
                released.set()
            self._held.clear()
            self.departed.clear()
            self.joined, self.private, self.archived = {self.team_channel, DIGEST_CHANNEL}, set(), set()

    def answer(self, method: str, args: dict) -> dict:
        with self._changed:
            self.answering += 1
        try:
            return super().answer(method, args)
        finally:
            with self._changed:
                self.answering -= 1

    def refusal(self, method: str, args: dict) -> Refusal | None:
        for fault in self._faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                return fault.refusal
        return None
