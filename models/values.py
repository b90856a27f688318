"""Reading values that come back from buttons and forms, which anyone can forge."""
from models.errors import InputError

OUT_OF_DATE = "That button or form is out of date or not one of mine. Please try again from a fresh message."


def whole_number(text: object) -> int:
    """A record's id as a button or form carries it; a forged one (not ASCII digits, or not text) is refused."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InputError(OUT_OF_DATE)
    return int(text)


def one_of(text: object, choices) -> str:
    """A value the bot offered (an option, a list's name); anything else is refused as forged."""
    if not isinstance(text, str) or text not in choices:
        raise InputError(OUT_OF_DATE)
    return text
