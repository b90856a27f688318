"""Regions as data: `scbot regions import`, `scbot region set` and `list`, `scbot demo-data --national`'s teams,
run as an operator would."""
import pytest
from sqlmodel import Session, select

from models.db import get_engine
from models.regions import REGIONS
from models.tables import Area, Conversation, ConversationArea
from tests.test_cli import HEADER, scbot

# The English local housing authorities of 2010, per region, in ONS order: 326 in all.
PER_REGION = [12, 39, 21, 40, 30, 47, 33, 67, 37]


@pytest.fixture
def env(tmp_path):
    return {"SC_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "SC_REGION": "East Midlands", "SC_TEAM_CHANNEL": "C0TEAM",
            "SC_STAFF": "", "SC_MANAGERS": "U0NATIONAL", "SC_TARGET_DATE": "2011-04-01"}


def areas_in(env) -> dict[str, Area]:
    with Session(get_engine(f"sqlite:///{env['SC_DATA_DIR']}/scbot.sqlite3")) as session:
        return {area.code: area for area in session.exec(select(Area))}


def test_regions_import_loads_every_english_authority_of_2010_once(env):
    first = scbot("regions", "import", env=env)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == "Every English authority of 2010: 286 added, 0 changed, 326 areas loaded in all."
    assert lines[1:] == [f"  {region}: {count}" for region, count in zip(REGIONS, PER_REGION, strict=True)]
    loaded = areas_in(env)
    again = scbot("regions", "import", env=env)
    assert again.stdout.splitlines()[0] == ("Every English authority of 2010: 0 added, 0 changed, "
                                            "326 areas loaded in all.")
    assert areas_in(env) == loaded
    assert len(loaded) == 326 and {area.region for area in loaded.values()} == set(REGIONS)


def test_areas_carry_the_codes_names_and_counties_of_2010(env):
    scbot("regions", "import", env=env)
    areas = areas_in(env)
    by_name = {area.name: area for area in areas.values()}

    def fields(code):
        area = areas[code]
        return area.name, area.kind, area.county, area.old_ons_code, area.region

    # GSS codes as in 2010-2011, not those given since (Gateshead E08000037, Northumberland E06000057 ...).
    assert fields("E08000020") == ("Gateshead", "Metropolitan district", "", "00CH", "North East")
    assert fields("E06000048") == ("Northumberland", "Unitary authority", "", "00EM", "North East")
    for code, name, ons in [("E07000097", "East Hertfordshire", "26UD"), ("E07000101", "Stevenage", "26UH"),
                            ("E07000100", "St Albans", "26UG"), ("E07000104", "Welwyn Hatfield", "26UL")]:
        assert fields(code) == (name, "Shire district", "Hertfordshire", ons, "East of England")
    assert not any(code >= "E06000057" and code < "E07" or code >= "E07000240" and code < "E08"
                   or code >= "E08000037" and code < "E09" for code in areas)
    # The 2009 unitaries are there, the districts they replaced are not.
    for name in ("Cornwall", "County Durham", "Northumberland", "Shropshire", "Wiltshire", "Bedford",
                 "Central Bedfordshire", "Cheshire East", "Cheshire West and Chester"):
        assert by_name[name].kind == "Unitary authority" and not by_name[name].county
    for gone in ("Caradon", "Restormel", "Wear Valley", "Tynedale", "Oswestry", "Kennet", "Mid Bedfordshire",
                 "Congleton", "Vale Royal"):
        assert gone not in by_name
    # The districts abolished from 2019 are still there, in their counties; their successors are not.
    for name, county, region in [("Suffolk Coastal", "Suffolk", "East of England"),
                                 ("Taunton Deane", "Somerset", "South West"),
                                 ("Weymouth and Portland", "Dorset", "South West"),
                                 ("Aylesbury Vale", "Buckinghamshire", "South East"),
                                 ("Carlisle", "Cumbria", "North West"),
                                 ("Harrogate", "North Yorkshire", "Yorkshire and The Humber")]:
        assert (by_name[name].county, by_name[name].region) == (county, region)
    for successor in ("Buckinghamshire", "Dorset", "East Suffolk", "Somerset West and Taunton", "Cumberland",
                      "North Yorkshire", "North Northamptonshire", "Bournemouth, Christchurch and Poole"):
        assert successor not in by_name
    # Local housing authorities of their own; and a name as it was in 2010.
    assert fields("E06000053") == ("Isles of Scilly", "Unitary authority", "", "00HF", "South West")
    assert fields("E09000001") == ("City of London", "City of London", "", "00AA", "London")
    assert areas["E07000112"].name == "Shepway"


def test_the_east_midlands_areas_stay_as_the_database_seeds_them(env, tmp_path_factory):
    seeded_env = {**env, "SC_DATA_DIR": str(tmp_path_factory.mktemp("seeded"))}
    scbot("db", "upgrade", env=seeded_env)
    seeded = areas_in(seeded_env)
    scbot("regions", "import", env=env)
    imported = areas_in(env)
    assert len(seeded) == 40
    assert {code: imported[code] for code in seeded} == seeded
    assert imported["E07000033"].hma == "Northern HMA (North Derbyshire & Bassetlaw)"


def test_a_regions_hmas_from_areas_import_survive_regions_import(env, tmp_path):
    scbot("db", "upgrade", env=env)
    hmas = tmp_path / "birmingham.csv"
    hmas.write_text(HEADER + "Birmingham,Birmingham City Council,Metropolitan district,,E08000025,00CN,"
                             "West Midlands,Birmingham HMA\n")
    assert "Imported 1 areas" in scbot("areas", "import", str(hmas), env=env).stdout
    assert "285 added, 0 changed" in scbot("regions", "import", env=env).stdout
    assert areas_in(env)["E08000025"].hma == "Birmingham HMA"
    assert "Imported 1 areas" in scbot("areas", "import", str(hmas), env=env).stdout
    assert len(areas_in(env)) == 326


def test_region_set_configures_a_team_and_list_shows_every_region(env):
    scbot("db", "upgrade", env=env)
    not_loaded = scbot("region", "set", "West Midlands", "--channel", "C0WM", env=env)
    assert not_loaded.returncode != 0
    assert "No area of West Midlands is loaded yet: run `scbot regions import` first." in not_loaded.stderr
    scbot("regions", "import", env=env)
    unknown = scbot("region", "set", "Wessex", "--channel", "C0WM", env=env)
    assert unknown.returncode != 0 and ("“Wessex” is not a region of England. The regions are: "
                                        + ", ".join(REGIONS) + ".") in unknown.stderr

    done = scbot("region", "set", "west midlands", "--channel", "C0WM", "--staff", "U0WMA, U0WMB",
                 "--managers", "U0WMMGR", "--target", "2011-06-30", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Set the West Midlands team; running bots use it within a minute.",
        "West Midlands: 30 areas; channel C0WM; staff U0WMA, U0WMB; managers U0WMMGR; target 30 Jun 2011"]
    listed = scbot("region", "list", env=env).stdout.splitlines()
    assert len(listed) == 9
    assert listed[3] == ("East Midlands: 40 areas; channel C0TEAM; staff none; managers U0NATIONAL; "
                         "target 1 Apr 2011 (from the environment: SC_REGION, SC_TEAM_CHANNEL ...)")
    assert listed[4] == done.stdout.splitlines()[1]
    assert listed[0] == 'North East: 12 areas; no team yet (scbot region set "North East" --channel <channel id>)'

    # Set again, it replaces: no staff now, and the target date is the environment's.
    scbot("region", "set", "West Midlands", "--channel", "C0WM2", "--managers", "U0WMMGR", env=env)
    assert scbot("region", "list", env=env).stdout.splitlines()[4] == (
        "West Midlands: 30 areas; channel C0WM2; staff none; managers U0WMMGR; target 1 Apr 2011")
    for args, said in [(["--channel", "C0WM2"], "C0WM2 is already the team channel of West Midlands"),
                       (["--channel", "#general"], "“#general” is not a Slack channel id"),
                       (["--channel", "C0NE", "--managers", "bob"], "“bob” is not a Slack user id"),
                       (["--channel", "C0NE", "--target", "1 April"], "“1 April” is not a date")]:
        refused = scbot("region", "set", "North East", *args, env=env)
        assert refused.returncode != 0 and said in refused.stderr
    assert scbot("region", "list", env=env).stdout.splitlines()[0].endswith("no team yet (scbot region set "
                                                                             '"North East" --channel <channel id>)')


def test_demo_data_national_gives_every_region_a_demo_team_and_each_conversation_its_region(env):
    built = scbot("demo-data", "--national", "--log-entries", "1000", env=env)
    assert built.returncode == 0, built.stderr
    assert built.stdout.splitlines()[1] == (
        "Demo teams for 8 regions: North East, North West, Yorkshire and The Humber, West Midlands, East of England, "
        "London, South East, South West (`scbot region list` shows them); East Midlands keeps the environment's team.")
    listed = scbot("region", "list", env=env).stdout.splitlines()
    assert listed[4] == "West Midlands: 30 areas; channel C0WM; staff U0WMSTAFF; managers U0WMMGR; target 1 Apr 2011"
    assert listed[6] == "London: 33 areas; channel C0LDN; staff U0LDNSTAFF; managers U0LDNMGR; target 1 Apr 2011"
    assert listed[3].startswith("East Midlands: 40 areas; channel C0TEAM;")
    with Session(get_engine(f"sqlite:///{env['SC_DATA_DIR']}/scbot.sqlite3")) as session:
        pairs = session.exec(select(Conversation.region, Area.region).select_from(Conversation)
                             .join(ConversationArea, ConversationArea.conversation_id == Conversation.id)
                             .join(Area, Area.code == ConversationArea.area_code)).all()
    assert len(pairs) > 250 and all(mine == its for mine, its in pairs)
    assert {mine for mine, _ in pairs} == set(REGIONS)
    # Again with --replace: the teams stay as they are.
    again = scbot("demo-data", "--national", "--replace", "--log-entries", "1000", env=env)
    assert "Every region has a team already" in again.stdout
    assert scbot("region", "list", env=env).stdout.splitlines() == listed


def test_every_county_lies_in_one_region_and_forest_heath_is_in_suffolk(env):
    scbot("regions", "import", env=env)
    areas = areas_in(env).values()
    counties: dict[str, set[str]] = {}
    for area in areas:
        if area.county:
            counties.setdefault(area.county, set()).add(area.region)
    assert {county: regions for county, regions in counties.items() if len(regions) > 1} == {}
    suffolk = sorted(area.name for area in areas if area.county == "Suffolk")
    assert suffolk == ["Babergh", "Forest Heath", "Ipswich", "Mid Suffolk", "St Edmundsbury", "Suffolk Coastal",
                       "Waveney"]
    assert len([area for area in areas if area.county == "Surrey"]) == 11


def test_region_set_refuses_the_environments_team_channel_for_another_region(env):
    scbot("regions", "import", env=env)
    refused = scbot("region", "set", "North East", "--channel", env["SC_TEAM_CHANNEL"], env=env)
    assert refused.returncode != 0
    assert "Nothing changed: C0TEAM is already the team channel of East Midlands: each region has its own." \
        in refused.stderr
    assert scbot("region", "list", env=env).stdout.splitlines()[0].endswith("no team yet (scbot region set "
                                                                             '"North East" --channel <channel id>)')
    # The environment's own region may be given it (or another) in the database; once the East Midlands'
    # stored team has another channel, the environment's is free.
    assert scbot("region", "set", "East Midlands", "--channel", env["SC_TEAM_CHANNEL"], env=env).returncode == 0
    assert scbot("region", "set", "East Midlands", "--channel", "C0EM2", env=env).returncode == 0
    assert scbot("region", "set", "North East", "--channel", env["SC_TEAM_CHANNEL"], env=env).returncode == 0
    # Two stored regions never share one.
    taken = scbot("region", "set", "London", "--channel", env["SC_TEAM_CHANNEL"], env=env)
    assert taken.returncode != 0 and "C0TEAM is already the team channel of North East" in taken.stderr


def test_an_hma_file_without_regions_keeps_each_areas_region_and_details(env, tmp_path):
    scbot("regions", "import", env=env)
    before = areas_in(env)
    hmas = tmp_path / "birmingham_hma.csv"
    hmas.write_text("la_name,gss_code_lad11,hma_2009\nBirmingham,E08000025,Birmingham HMA\n"
                    "Solihull,E08000029,Birmingham HMA\n")
    assert "Imported 2 areas" in scbot("areas", "import", str(hmas), env=env).stdout
    after = areas_in(env)
    for code in ("E08000025", "E08000029"):
        assert after[code].hma == "Birmingham HMA"
        assert after[code].model_dump(exclude={"hma"}) == before[code].model_dump(exclude={"hma"})
    # A region named must be one of England's: a mistyped one changes nothing.
    mistyped = tmp_path / "mistyped.csv"
    mistyped.write_text(HEADER + "Birmingham,Birmingham City Council,Metropolitan district,,E08000025,00CN,"
                                 "West Mids,Birmingham HMA\n")
    refused = scbot("areas", "import", str(mistyped), env=env)
    assert refused.returncode != 0 and "line 2" in refused.stderr and "“West Mids” is not a region of England" \
        in refused.stderr
    assert areas_in(env)["E08000025"].region == "West Midlands"
