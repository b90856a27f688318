"""Commentary written from the figures: each sentence is built from the numbers it states.

The verb is chosen by comparing the stored values themselves (never their
rounded forms), so a rise is never called a fall; when two different values
round to the same figure the sentence says "little changed".
"""

UNITS_SHOWN = {"GBP": "£{:,.0f}", "percent": "{:.1f}%", "ratio": "{:.2f}"}


def number(value: float, unit: str) -> str:
    """A figure as the documents print it: £125,000; 3.2%; 6.32; 1,743."""
    return UNITS_SHOWN.get(unit, "{:,.0f}").format(value)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def change(what: str, where: str, unit: str, first_period: str, first: float, last_period: str,
           last: float) -> str:
    """'Long-term vacant homes in Derby rose from 1,743 in 2009 to 1,767 in 2010 (up 1.4%).'"""
    a, b = number(first, unit), number(last, unit)
    if first == last:
        return f"{what} in {where} was unchanged at {a} between {first_period} and {last_period}."
    if a == b:
        return f"{what} in {where} was little changed between {first_period} and {last_period}, at {b}."
    verb = "rose" if last > first else "fell"
    percent = ""
    if unit not in ("percent", "ratio") and first > 0:
        percent = f" ({'up' if last > first else 'down'} {abs(last - first) / first:.1%})"
    elif unit == "percent":
        percent = f" ({abs(last - first):.1f} percentage points)"
    return f"{what} in {where} {verb} from {a} in {first_period} to {b} in {last_period}{percent}."


def comparison(what: str, where: str, unit: str, period: str, value: float,
               others: list[tuple[str, float]]) -> str:
    """'In 2011 the vacancy rate in Derby (3.2%) was above the Derby HMA's (2.9%) and below England's (3.6%).'"""
    parts = []
    for name, other in others:
        if number(value, unit) == number(other, unit):
            relation = "the same as"
        else:
            relation = "above" if value > other else "below"
        parts.append(f"{relation} {name} ({number(other, unit)})")
    joined = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"In {period} the {what.lower()} in {where} ({number(value, unit)}) was {joined}."


def rank(what: str, where: str, period: str, position: int, count: int, region: str) -> str:
    """'Its vacancy rate was the 5th highest of the East Midlands' 40 areas in 2011.'"""
    place = "the highest" if position == 1 else ("the lowest" if position == count
                                                  else f"the {ordinal(position)} highest")
    return f"{where}'s {what.lower()} was {place} of the {count} {region} areas with a figure for {period}."


def spread(what: str, period: str, unit: str, highest: tuple[str, float], lowest: tuple[str, float]) -> str:
    """For a group of areas: who was highest and lowest."""
    return (f"In {period} the {what.lower()} was highest in {highest[0]} ({number(highest[1], unit)}) "
            f"and lowest in {lowest[0]} ({number(lowest[1], unit)}).")
