"""Regions, tried as an operator and a new team would and attacked: what a review found, each as a user sees it."""
from tests.test_cli import scbot
from tests.test_regions_data import areas_in, env  # noqa: F401  (env: the operator's environment, a fixture)


def test_every_county_lies_in_one_region_and_forest_heath_is_in_suffolk(env):  # noqa: F811
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


def test_region_set_refuses_the_environments_team_channel_for_another_region(env):  # noqa: F811
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
