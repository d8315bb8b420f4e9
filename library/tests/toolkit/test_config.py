"""``[tool.sfcdk]``: found from the folder of cdk.json, checked key by key, and overridden by flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverless_fastapi_cdk.toolkit.config import ConfigError, find_project, load
from serverless_fastapi_cdk.toolkit.local_api.reload import default_synth_inputs


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cdk.json").write_text('{"app": "python app.py"}')
    (tmp_path / "app.py").write_text("import infra.stack\nfrom aws_cdk import App\n")
    (tmp_path / "infra").mkdir()
    (tmp_path / "src" / "deep").mkdir(parents=True)
    return tmp_path


def _table(project: Path, body: str) -> None:
    (project / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.sfcdk]\n{body}\n")


def test_the_project_is_the_nearest_folder_with_cdk_json(project: Path) -> None:
    assert find_project(project / "src" / "deep") == project
    with pytest.raises(ConfigError, match=r"no cdk\.json in .* or above it"):
        find_project(project.parent)


def test_defaults_without_a_table(project: Path) -> None:
    settings = load(project)
    assert (settings.stage, settings.host, settings.port, settings.cdk_cli) == (None, "127.0.0.1", 8000, None)
    assert settings.state_dir == project / ".local"


def test_the_table_is_read_and_flags_win(project: Path) -> None:
    _table(project, 'stage = "qa"\nport = 9000\ncdk-cli = "bin/cdk"\nwatch = ["app.py", "infra"]')
    settings = load(project, {"port": 9100, "stage": None})
    assert (settings.stage, settings.port, settings.cdk_cli) == ("qa", 9100, "bin/cdk")
    assert settings.watch == (project / "app.py", project / "infra")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('stges = "dev"', r"has no setting 'stges' \(settings: app, stage"),
        ('port = "8000"', "port must be a number, not '8000'"),
        ("watch = [1]", "watch must be a list of paths"),
    ],
)
def test_a_wrong_setting_is_named(project: Path, body: str, message: str) -> None:
    _table(project, body)
    with pytest.raises(ConfigError, match=message):
        load(project)


def test_without_watch_the_app_and_the_project_packages_it_imports_are_synthesis_inputs(
    project: Path,
) -> None:
    inputs = default_synth_inputs(project)
    assert inputs == [project / "cdk.json", project / "pyproject.toml", project / "app.py", project / "infra"]
