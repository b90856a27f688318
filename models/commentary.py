"""Commentary written from the figures: each sentence states the numbers its pack prints, and every
change, comparison and rank in it is worked out from those printed numbers.

The verb is chosen by comparing the stored values themselves, so a rise is never
called a fall; when two different values print as the same figure the sentence
says "little changed", and a change's size is the difference of the printed
figures, so a reader who checks it against the table gets the same answer.
Values that print the same are ties: named as joint, with every area sharing them.
"""

UNITS_SHOWN = {"GBP": "£{:,.0f}", "percent": "{:.1f}%", "ratio": "{:.2f}"}
# What a table prints, and a sentence says, where the publisher's totals show an area had none.
NONE = "none recorded"


def number(value: float, unit: str) -> str:
    """A figure as the documents print it: £125,000; 3.2%; 6.32; 1,743."""
    return UNITS_SHOWN.get(unit, "{:,.0f}").format(value)


def printed_value(text: str) -> float:
    """The number a printed figure stands for: '£125,000' -> 125000, '3.2%' -> 3.2, 'none recorded' -> 0."""
    return 0.0 if text == NONE else float(text.replace("£", "").replace(",", "").replace("%", ""))


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def change(what: str, where: str, unit: str, first_period: str, first: float, a: str, last_period: str,
           last: float, b: str) -> str:
    """'Long-term vacant dwellings in Derby rose from 1,743 in 2009 to 1,767 in 2010 (up 1.4%).' `first` and
    `last` are the stored values, `a` and `b` the same figures as printed."""
    if a == b == NONE:
        return f"{what} in {where}: {NONE} in {first_period} or in {last_period}."
    if first == last:
        return f"{what} in {where} was unchanged at {a} between {first_period} and {last_period}."
    if a == b:
        return f"{what} in {where} was little changed between {first_period} and {last_period}, at {b}."
    verb, direction = ("rose", "up") if last > first else ("fell", "down")
    shown_a, shown_b = printed_value(a), printed_value(b)
    size = ""
    if unit == "percent":
        size = f" ({direction} {abs(shown_b - shown_a):.1f} percentage points)"
    elif unit != "ratio" and shown_a > 0:
        size = f" ({direction} {abs(shown_b - shown_a) / shown_a:.1%})"
    return f"{what} in {where} {verb} from {a} in {first_period} to {b} in {last_period}{size}."


def comparison(what: str, where: str, period: str, shown: str, others: list[tuple[str, str]]) -> str:
    """'In 2011 the vacancy rate in Derby (3.2%) was above the Derby HMA (2.9%) and below England (3.6%).'"""
    parts = []
    for name, other in others:
        if other == shown:
            relation = "the same as"
        else:
            relation = "above" if printed_value(shown) > printed_value(other) else "below"
        parts.append(f"{relation} {name} ({other})")
    return f"In {period} the {what.lower()} in {where} ({shown}) was {join(parts)}."


def rank(what: str, where: str, period: str, figures: list[tuple[str, str]], areas: int, region: str) -> str:
    """Where `where` stands among the region's areas with a figure (name, printed figure), ranked by the
    printed figures: 'Ashfield's vacancy rate (3.8%) was joint 8th highest, with Bassetlaw, of the 40 East
    Midlands areas (2009 boundaries) with a figure for 2011.'"""
    mine = dict(figures)[where]
    value = printed_value(mine)
    position = 1 + sum(printed_value(v) > value for _n, v in figures)
    tied = [n for n, v in figures if v == mine and n != where]
    below = sum(printed_value(v) < value for _n, v in figures)
    if tied:
        place = ("joint highest" if position == 1 else "joint lowest" if below == 0
                 else f"joint {ordinal(position)} highest") + f", with {join(tied)},"
    else:
        place = ("the highest" if position == 1 else "the lowest" if below == 0
                 else f"the {ordinal(position)} highest")
    among = (f"the {len(figures)} {region} areas" if len(figures) == areas
             else f"the {len(figures)} of the {areas} {region} areas")
    return (f"{where}'s {what.lower()} ({mine}) was {place} of {among} (2009 boundaries) with a figure for "
            f"{period}.")


def spread(what: str, period: str, figures: list[tuple[str, str]], members: int, basis: str,
           left_out: list[str], boundaries: str) -> str:
    """For a group of areas: which were highest and lowest, ties named together, and how many had a figure;
    successors `left_out`, on later `boundaries` ('2021'), are said not to be compared."""
    values = [printed_value(v) for _n, v in figures]
    top, bottom = max(values), min(values)
    high = [(n, v) for n, v in figures if printed_value(v) == top]
    low = [(n, v) for n, v in figures if printed_value(v) == bottom]
    each = lambda found: f"{found[0][1]}{' each' if len(found) > 1 else ''}"  # noqa: E731
    if basis != "areas":
        among = f"Across the {len(figures)} {basis} covering its areas"
    elif len(figures) == members:
        among = f"Across its {members} areas"
    else:
        among = f"Of the {len(figures)} of its {members} areas with a figure"
    if top == bottom:
        sentence = f"{among}, in {period} the {what.lower()} was the same in every one ({each(high)})."
    else:
        sentence = (f"{among}, in {period} the {what.lower()} was highest in {join([n for n, _v in high])} "
                    f"({each(high)}) and lowest in {join([n for n, _v in low])} ({each(low)}).")
    if left_out:
        sentence += f" {join(left_out)}, on {boundaries} boundaries, {'is' if len(left_out) == 1 else 'are'} not " \
                    "compared with the 2009 areas."
    return sentence


def tenure_total(where: str, first_period: str, last_period: str, parts: list[tuple[str, list[str]]]) -> str:
    """'From 2008-09 to 2011-12, 312 affordable homes were recorded as delivered in Ashfield: Social Rent 200;
    Affordable Rent none recorded.' Each tenure's figure is the sum of its printed figures."""
    sums = [(tenure, sum(printed_value(v) for v in shown)) for tenure, shown in parts]
    total = sum(v for _t, v in sums)
    each = "; ".join(f"{tenure} {number(v, 'dwellings') if v else NONE}" for tenure, v in sums)
    count = f"{number(total, 'dwellings')} affordable homes were" if total else "no affordable homes were"
    return f"From {first_period} to {last_period}, {count} recorded as delivered in {where}: {each}."
