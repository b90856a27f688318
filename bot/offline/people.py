"""Who is who in the console: Slack-like ids made from names, and the names behind the ids."""
import re


def user_id(name: str) -> str:
    """The console's Slack-like id for a name: alice is UALICE; empty when the name has no letters."""
    letters = re.sub(r"[^A-Za-z0-9]", "", name)
    return "U" + letters.upper() if letters else ""


class People:
    def __init__(self, names: dict[str, str]):
        self.names = names  # user id -> name; the stand-in's, so that users.info knows everyone met

    def learn(self, name: str) -> str:
        uid = user_id(name)
        self.names[uid] = name
        return uid

    def name_of(self, uid: str) -> str:
        # Someone not seen in this session is from an earlier one: the console made their id from their name.
        return self.names.get(uid, uid.removeprefix("U").lower())
