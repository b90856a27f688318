"""The stand-in Slack with the tests' controls: faults on demand, departed users, a clean slate."""
from dataclasses import dataclass

from bot.offline.standin import Refusal, SlackStandIn


@dataclass
class Fault:
    method: str
    refusal: Refusal
    times: int


class StandInWithControls(SlackStandIn):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.departed: set[str] = set()  # users who have left the workspace
        self._faults: list[Fault] = []

    def fail_next(self, method: str, status: int = 429, times: int = 1, retry_after: int = 1) -> None:
        with self._changed:
            self._faults.append(Fault(method, Refusal(status, retry_after), times))

    def clear_faults(self) -> None:
        with self._changed:
            self._faults.clear()

    def reset(self) -> None:
        with self._changed:
            self.calls.clear()
            self.messages.clear()
            self.views.clear()
            self.files.clear()
            self._faults.clear()
            self.departed.clear()

    def refusal(self, method: str, args: dict) -> Refusal | None:
        for fault in self._faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                return fault.refusal
        return None

    def _post(self, args: dict, ephemeral: bool = False) -> dict:
        if args.get("channel") in self.departed:  # as Slack answers a post to a deactivated user
            return {"ok": False, "error": "user_disabled"}
        return super()._post(args, ephemeral)
