"""The Slack-free rules: area lookup, stages, dates and command parsing."""
from datetime import datetime
from pathlib import Path

import pytest

from models.areas import AreaDirectory, UnknownArea, read_areas_csv
from models.commands import parse_action
from models.errors import InputError
from models.stages import parse_stage
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
    assert parse_stage(typed) == stage


@pytest.mark.parametrize("typed, expected", [
    ("2011-01-10", "2011-01-10"), ("10/01/2011", "2011-01-10"), ("10 Jan 2011", "2011-01-10"),
    ("tomorrow", "2010-11-04"), ("friday", "2010-11-05"), ("next friday", "2010-11-05"),
    ("wednesday", "2010-11-10"), ("in 3 days", "2010-11-06"),
])
def test_dates_as_people_write_them(typed, expected):
    assert parse_date(typed, NOW).isoformat() == expected


@pytest.mark.parametrize("typed", ["soon", "31/02/2011", "2011-13-01", "jan 2011", ""])
def test_dates_that_do_not_parse_say_what_works(typed):
    with pytest.raises(InputError, match="Dates that work"):
        parse_date(typed, NOW)


def test_an_action_takes_its_due_date_and_owner_from_the_end(directory):
    request = parse_action(directory, "Leicester Send the SHMA due next friday <@U0JO|jo>", "U0ME", NOW)
    assert (request.text, request.owner, request.due_on.isoformat()) == ("Send the SHMA", "U0JO", "2010-11-05")
    plain = parse_action(directory, "Leicester Complete due diligence", "U0ME", NOW)
    assert (plain.text, plain.owner, plain.due_on) == ("Complete due diligence", "U0ME", None)
