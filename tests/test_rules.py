"""The Slack-free rules: area lookup, stages, dates and command parsing."""
import re
from datetime import datetime
from pathlib import Path

import pytest

from models.areas import AreaDirectory, UnknownArea, read_areas_csv
from models.commands import parse_action
from models.errors import InputError
from models.stages import skipped_stages, stage_choices
from models.text import parse_date

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "data" / "em_local_authorities_2009_2011.csv"
NOW = datetime(2010, 11, 3, 10, 0)  # a Wednesday


@pytest.fixture(scope="module")
def directory():
    return AreaDirectory(read_areas_csv(SHIPPED))


def test_the_shipped_region_has_40_areas_in_11_hmas(directory):
    assert len(directory.areas) == 40
    assert len(directory.hmas) == 11
    assert [a.name for a in directory.hmas["Derby HMA"]] == ["Amber Valley", "Derby", "South Derbyshire"]


@pytest.mark.parametrize("typed, name", [
    ("Leicester", "Leicester"), ("LEICESTER", "Leicester"), ("E07000032", "Amber Valley"),
    ("17ub", "Amber Valley"), ("Derby", "Derby"), ("derby hma", "Derby HMA"),
    ("Nottingham Core", "Nottingham Core HMA"), ("Peak Dales and Park", "Peak, Dales & Park HMA (Peak sub-region)"),
    ("Hinckley & Bosworth", "Hinckley and Bosworth"), ("Leicester City Council", "Leicester"),
])
def test_areas_are_found_by_any_of_their_names(directory, typed, name):
    assert directory.resolve(typed).name == name


def test_the_longest_leading_name_wins(directory):
    group, rest = directory.split_leading("North West Leicestershire: met the chief executive")
    assert (group.name, rest) == ("North West Leicestershire", "met the chief executive")
    group, rest = directory.split_leading('"Nottingham Core HMA" joint meeting')
    assert (group.kind, rest) == ("hma", "joint meeting")


def test_a_near_miss_suggests_up_to_three(directory):
    with pytest.raises(UnknownArea) as error:
        directory.split_leading("Chesterfeild met the team")
    assert error.value.query == "Chesterfeild"
    assert error.value.suggestions[0] == "Chesterfield"
    assert len(error.value.suggestions) <= 3


@pytest.mark.parametrize("typed, stage", [
    ("evidence", "evidence"), ("Plan Drafted", "plan-drafted"), ("LIA signed", "agreement-signed"),
    ("delivery", "delivery"),
])
def test_stages_by_key_label_or_alias(typed, stage):
    assert stage_choices(typed) == (stage,)


@pytest.mark.parametrize("typed", ["plan", "LIP", "Local Investment Plan"])
def test_words_that_could_mean_two_stages_give_both(typed):
    assert stage_choices(typed) == ("plan-drafted", "plan-agreed")


def test_the_stages_skipped_are_those_between_going_forward():
    assert skipped_stages("plan-drafted", "agreement-signed") == ["plan-agreed"]
    assert skipped_stages("engaged", "evidence") == [] and skipped_stages("delivery", "engaged") == []


@pytest.mark.parametrize("typed, expected", [
    ("2011-01-10", "2011-01-10"), ("10/01/2011", "2011-01-10"), ("10 Jan 2011", "2011-01-10"),
    ("tomorrow", "2010-11-04"), ("friday", "2010-11-05"), ("this fri", "2010-11-05"),
    ("next friday", "2010-11-12"), ("wednesday", "2010-11-10"), ("next monday", "2010-11-08"),
    ("in 3 days", "2010-11-06"), ("in 2 weeks", "2010-11-17"), ("yesterday", "2010-11-02"),
])
def test_dates_as_people_write_them(typed, expected):
    assert parse_date(typed, NOW).isoformat() == expected


@pytest.mark.parametrize("today, friday, next_friday", [
    ("2010-11-02", "2010-11-05", "2010-11-12"),  # a Tuesday: next friday is next week's, ten days on
    ("2010-11-05", "2010-11-12", "2010-11-12"),  # a Friday: never today
    ("2010-11-06", "2010-11-12", "2010-11-12"),  # a Saturday: next week's Friday is the coming one
])
def test_friday_is_the_coming_one_and_next_friday_is_next_weeks(today, friday, next_friday):
    now = datetime.fromisoformat(today + "T10:00")
    assert (parse_date("friday", now).isoformat(), parse_date("next friday", now).isoformat()) == (friday, next_friday)


@pytest.mark.parametrize("typed", ["soon", "31/02/2011", "2011-13-01", "jan 2011", ""])
def test_dates_that_do_not_parse_say_what_works(typed):
    with pytest.raises(InputError, match="Dates that work"):
        parse_date(typed, NOW)


def test_an_action_takes_its_due_date_and_owner_from_the_end(directory):
    request = parse_action(directory, "Leicester Send the SHMA due next friday <@U0JO|jo>", "U0ME", NOW)
    assert (request.text, request.owner, request.due_on.isoformat()) == ("Send the SHMA", "U0JO", "2010-11-12")
    plain = parse_action(directory, "Leicester Complete due diligence", "U0ME", NOW)
    assert (plain.text, plain.owner, plain.due_on) == ("Complete due diligence", "U0ME", None)


@pytest.mark.parametrize("typed, text, owner, due", [
    ("Amber Valley Ask <@UDAVE|dave> about it", "Ask <@UDAVE> about it", "UDAVE", None),
    ("Amber Valley Ask <@UDAVE> about it due friday", "Ask <@UDAVE> about it", "UDAVE", "2010-11-05"),
    ("Leicester <@UJO|jo> to send the minutes due by 2010-11-03", "<@UJO> to send the minutes", "UJO", "2010-11-03"),
    ("Leicester Send the minutes <@UJO|jo> due tomorrow", "Send the minutes", "UJO", "2010-11-04"),
    ("Leicester Ask <@UJO|jo> and tell <@UJO|jo> again", "Ask <@UJO> and tell <@UJO> again", "UJO", None),
    ("Leicester Write to jo@example.com due today", "Write to jo@example.com", "U0ME", "2010-11-03"),
    ("Leicester Tell @channel about it", "Tell @channel about it", "U0ME", None),
])
def test_a_mention_anywhere_names_the_owner_and_stays_in_the_text(directory, typed, text, owner, due):
    request = parse_action(directory, typed, "U0ME", NOW)
    assert (request.text, request.owner, request.due_on and request.due_on.isoformat()) == (text, owner, due)


@pytest.mark.parametrize("typed, says", [
    ("Leicester Send it due yesterday", "“due yesterday” would be 2 Nov 2010, which has passed"),
    ("Leicester Send it due 2010-11-01", "which has passed: give a due date from today on"),
    ("Leicester Send it due soon", "I couldn't read “soon” as a date. Dates that work"),
    ("Leicester Send it due end of month", "I couldn't read “end of month” as a date"),
    ("Leicester Send it due 31/02/2011", "Dates that work"),
    ("Leicester Ask @dave about it", "I can't tell who “@dave” is"),
    ("Leicester Ask <@UA|a> to tell <@UB|b>", "An action has one owner"),
])
def test_an_action_with_a_due_date_past_or_unreadable_is_refused_with_what_works(directory, typed, says):
    with pytest.raises(InputError, match=re.escape(says)):
        parse_action(directory, typed, "U0ME", NOW)


@pytest.mark.parametrize("typed, described, names", [
    ("Derbyshire", "the county of Derbyshire", ["Amber Valley", "Bolsover", "Chesterfield", "Derbyshire Dales",
                                                "Erewash", "High Peak", "North East Derbyshire", "South Derbyshire"]),
    ("nottinghamshire county council", "the county of Nottinghamshire",
     ["Ashfield", "Bassetlaw", "Broxtowe", "Gedling", "Mansfield", "Newark and Sherwood", "Rushcliffe"]),
    ("Derby HMA", "Derby HMA", ["Amber Valley", "Derby", "South Derbyshire"]),
    ("Derby", "Derby", ["Derby"]),
    ("17UB", "Amber Valley", ["Amber Valley"]),
    ("Kesteven", "2 with “Kesteven” in the name of the area, its HMA or its county", ["North Kesteven", "South Kesteven"]),
    ("Bassetlaw", "Bassetlaw", ["Bassetlaw"]),
])
def test_areas_are_filtered_by_area_hma_and_county_as_each_is_meant(directory, typed, described, names):
    """An HMA's note in brackets (“North Derbyshire & Bassetlaw”) is not its name: Derbyshire leaves Bassetlaw out."""
    said, areas = directory.matching(typed)
    assert (said, [area.name for area in areas]) == (described, names)
