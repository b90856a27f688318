"""Every setting in one place, read from the environment and a `.env` file."""
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = "https://slack.com/api/"

    database_url: str = ""
    redis_url: str = ""
    sc_data_dir: Path = Path("var")

    # The region these settings configure the team of (models.regions); `scbot region set` adds others.
    sc_region: str = "East Midlands"
    sc_team_channel: str = ""
    # Comma-separated Slack user ids; kept as text because pydantic-settings
    # would otherwise expect JSON for a list.
    sc_staff: str = ""
    sc_managers: str = ""
    sc_target_date: date = date(2011, 4, 1)
    sc_timezone: str = "Europe/London"
    sc_now: str = ""
    # How long a read of the team channel's members is trusted, in seconds.
    sc_membership_ttl: float = 120.0
    # The workspace (T...) and the app (A...) whose requests are served; unset, auth.test tells them.
    sc_team_id: str = ""
    sc_app_id: str = ""
    # Requests a process serves at once: `scbot serve --threads` sets it for its workers.
    sc_threads: int = 8

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, url: str) -> str:
        return url if url.endswith("/") else url + "/"

    @property
    def staff(self) -> frozenset[str]:
        return id_set(self.sc_staff)

    @property
    def managers(self) -> frozenset[str]:
        return id_set(self.sc_managers)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            # Heroku-style URLs name the old driver; psycopg 3 is the one installed.
            url = self.database_url
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix):]
            return url
        return f"sqlite:///{(self.sc_data_dir / 'scbot.sqlite3').resolve()}"

    @property
    def has_slack_tokens(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)


def id_set(text: str) -> frozenset[str]:
    """Slack ids given comma-separated (spaces allowed), as the settings and `scbot region set` take them."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


@lru_cache
def get_settings() -> Settings:
    return Settings()
