"""A non-editable install builds the same documents as the source tree: the templates ship as package data.

The installed copy runs as an operator would run it, away from the source tree: `scbot db upgrade`, an
extract saved while the queue was down, and `scbot worker --burst` building it and uploading its files.
"""
import fnmatch
import io
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import redis
from docx import Document
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("xlsx", "pdf", "csv", "docx")
# Saved as the bot saves `/sc extract`; the worker queues it when it starts. Prints where the code came from.
SAVE_REQUEST = f"""
import bot, jobs, models, templates
from jobs import worker_services
from models.extracts import held_years, parse_extract, save_request

services = worker_services()
with services.session() as session:
    spec = parse_extract(services.directory(), "Leicester as {' '.join(FORMATS)}", held_years(session))
    save_request(session, spec, "U0MEMBER")
print(*(m.__file__ for m in (bot, jobs, models, templates)), sep="\\n")
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """`pip install .` (not editable) of the working tree, into a folder of its own."""
    source = tmp_path_factory.mktemp("source")
    # Built from a copy: building in place would leave build/ and egg-info in the working tree.
    shutil.copy(ROOT / "pyproject.toml", source)
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    for folder in ROOT.iterdir():
        if folder.is_dir() and any(fnmatch.fnmatch(folder.name, p) for p in packages["include"]):
            shutil.copytree(folder, source / folder.name, ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                    "--target", str(target), str(source)], check=True, timeout=180)
    return target


def build_extract(slack, redis_url: str, folder: Path, cwd: Path, pythonpath: str = "") -> tuple[list[str], dict]:
    """Where the code was imported from, and the extract's files by format, as `scbot` builds them."""
    redis.Redis.from_url(redis_url).flushdb()
    env = {**os.environ, "PYTHONPATH": pythonpath, "SC_DATA_DIR": str(folder),
           "DATABASE_URL": f"sqlite:///{folder / 'scbot.sqlite3'}", "REDIS_URL": redis_url,
           "SLACK_API_URL": slack.api_url, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret",
           "SC_TIMEZONE": "Europe/London", "SC_NOW": "2011-01-05T10:00"}

    def run(*args: str) -> str:
        return subprocess.run([sys.executable, *args], cwd=cwd, env=env, check=True, capture_output=True,
                              text=True, timeout=120).stdout

    before = set(slack.files)
    run("-m", "bot.cli", "db", "upgrade")
    modules = run("-c", SAVE_REQUEST).split()
    run("-m", "bot.cli", "worker", "--burst")
    files = {f["name"].rsplit(".", 1)[1]: f["content"] for i, f in slack.files.items()
             if i not in before and f.get("shared")}
    return modules, files


def pdf_text(content: bytes, folder: Path) -> str:
    path = folder / "pack.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def cells(content: bytes) -> list[tuple]:
    return [(sheet.title, cell.coordinate, cell.value, cell.number_format)
            for sheet in load_workbook(io.BytesIO(content)) for row in sheet.iter_rows() for cell in row]


def paragraphs(content: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(content)).paragraphs]


def test_an_installed_copy_builds_the_same_documents_as_the_source_tree(installed, slack, redis_server_url,
                                                                         tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    modules, made = build_extract(slack, redis_server_url, tmp_path / "installed", outside, str(installed))
    assert all(Path(m).is_relative_to(installed) for m in modules), modules
    source_modules, expected = build_extract(slack, redis_server_url, tmp_path / "source", ROOT)
    assert all(Path(m).is_relative_to(ROOT) for m in source_modules), source_modules

    assert sorted(made) == sorted(expected) == sorted(FORMATS)
    assert cells(made["xlsx"]) == cells(expected["xlsx"])
    text = pdf_text(made["pdf"], tmp_path / "installed")
    assert "Leicester" in text and text == pdf_text(expected["pdf"], tmp_path / "source")
    assert made["csv"] == expected["csv"]
    assert paragraphs(made["docx"]) == paragraphs(expected["docx"])
