"""Reading values that come back from buttons and forms, which anyone can forge."""
from models.errors import InputError


def whole_number(text: str) -> int:
    """A record's id as a button or form carries it; a forged one is refused, not a fault."""
    if not text.isdigit() or len(text) > 18:
        raise InputError("That button or form is out of date or not one of mine. Please try again from a fresh message.")
    return int(text)
