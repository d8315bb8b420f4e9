"""Hot reload (``make run``): a code change served by the next request, a template change re-synthesized.

The code tests serve the dev stage's synthesized assembly with a reloader watching a temporary copy
of ``runtime/`` (the asset was bundled from an identical package, so the copy is recognised as its
source) and edit the copy. The template test synthesizes a small CDK app of its own
(``fixtures/reload_app``, no layer, seconds to synthesize) with the project's CDK CLI, edits its
``cdk.json`` and waits for the second synthesis; an edited copy of the dev assembly checks what a
reload does to a table whose definition changed.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from serverless_fastapi_cdk.toolkit.local_api.assembly import StageAssembly
from serverless_fastapi_cdk.toolkit.local_api.hot_code import code_source, rebuild
from serverless_fastapi_cdk.toolkit.local_api.reload import Reloader, imported_modules
from serverless_fastapi_cdk.toolkit.local_api.synth import synthesize
from serverless_fastapi_cdk.toolkit.local_api.watch import PollingWatcher
from tests.support.emulated_stage import RunningApi
from tests.support.local_api import running_api

ROOT = Path(__file__).resolve().parents[3]
RELOAD_APP = Path(__file__).resolve().parent / "fixtures" / "reload_app"
HEALTH = Path("runtime") / "routers" / "health.py"
ORIGINAL_VERSION = "app_version=settings.app_version"
SLOW_VERSION = 'app_version=__import__("time").sleep(1.5) or "slow"'
INTERNAL_SERVER_ERROR = {"message": "Internal Server Error"}
# Dev throttles its public routes (5 requests/s, burst 10): polls stay under that rate, as a client must.
POLL_INTERVAL_SECONDS = 0.25


def _wait_for(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(interval)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_burst_of_saves_is_one_change_and_caches_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\n")
    reports: list[set[Path]] = []
    watcher = PollingWatcher([tmp_path], reports.append, interval=0.02, settle=0.2)
    watcher.start()
    try:
        for step in range(3):
            (tmp_path / "a.py").write_text(f"a = {step + 2}\n")
            (tmp_path / "__pycache__").mkdir(exist_ok=True)
            (tmp_path / "__pycache__" / f"a.{step}.pyc").write_bytes(b"")
            (tmp_path / ".a.py.swp").write_bytes(b"")
            time.sleep(0.05)
        (tmp_path / "b.py").write_text("b = 1\n")
        _wait_for(lambda: bool(reports), 5, "the report")
        time.sleep(0.3)
    finally:
        watcher.stop()
    assert reports == [{tmp_path / "a.py", tmp_path / "b.py"}]


def test_the_runtime_modules_the_cdk_app_imports_are_template_inputs() -> None:
    runtime = ROOT / "runtime"
    assert imported_modules(ROOT, ["runtime"]) == {runtime / "__init__.py", runtime / "contract.py"}


def test_only_a_bundled_package_is_rebuilt_from_the_sources(dev_assembly_dir: Path) -> None:
    (function,) = StageAssembly(dev_assembly_dir, "dev").local_app().functions()
    source = code_source(function.code_dir, ROOT)
    assert source is not None
    assert source.package_dir == ROOT / "runtime"
    assert source.bytecode is not None
    assert source.bytecode.deployed_at == "/var/task"
    assert code_source(Path(__file__).parent / "fixtures" / "probe_function", ROOT) is None
    (layer,) = function.layer_dirs
    assert code_source(layer, ROOT) is None


def _files(root: Path) -> dict[str, bytes]:
    files = (path for path in root.rglob("*") if path.is_file())
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in files}


def test_the_rebuilt_code_is_byte_identical_to_the_synthesized_asset(
    dev_assembly_dir: Path, tmp_path: Path
) -> None:
    (function,) = StageAssembly(dev_assembly_dir, "dev").local_app().functions()
    source = code_source(function.code_dir, ROOT)
    assert source is not None
    assert rebuild(source, tmp_path / "rebuilt") == []
    rebuilt, synthesized = _files(tmp_path / "rebuilt"), _files(function.code_dir)
    assert any(name.endswith(".pyc") for name in synthesized)
    assert rebuilt == synthesized


class HotApi:
    def __init__(self, api: RunningApi, project: Path) -> None:
        self.api = api
        self.health_py = project / HEALTH

    def app_version(self) -> str | None:
        response = self.api.client.get("/health")
        if response.status_code == 429:
            return None
        assert response.status_code == 200, response.text
        version: str | None = response.json()["app_version"]
        return version

    def reload_lines(self) -> list[str]:
        return [line for line in self.api.console().splitlines() if " reload " in line]


@pytest.fixture
def hot_api(dev_assembly_dir: Path, tmp_path: Path) -> Iterator[HotApi]:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "runtime", project / "runtime", ignore=shutil.ignore_patterns("__pycache__"))
    with running_api(dev_assembly_dir, tmp_path / "state") as api:
        reloader = Reloader(api.emulator, project_root=project, build_dir=tmp_path / "code", synthesize=None)
        reloader.start()
        try:
            yield HotApi(api, project)
        finally:
            reloader.stop()


def test_a_code_change_is_served_by_the_next_request_after_the_save(hot_api: HotApi) -> None:
    """A save rebuilds the code and switches new requests to a fresh environment.

    Order and causality only: the old version answers before the save, the new one after it from a new
    environment, and the reload line names the file and the function. How long that takes is a figure
    of `make bench`, never a pass or fail on a shared machine; the line's wording is the console's own.
    """
    assert hot_api.app_version() == "0.1.0"
    _edit(hot_api.health_py, ORIGINAL_VERSION, 'app_version="reloaded"')
    _wait_for(
        lambda: hot_api.app_version() == "reloaded", 60, "the new code to be served", POLL_INTERVAL_SECONDS
    )
    _wait_for(lambda: len(hot_api.reload_lines()) == 1, 10, "the reload line")
    (line,) = hot_api.reload_lines()
    assert "runtime/routers/health.py" in line
    assert hot_api.api.emulator.app.functions()[0].name in line
    console = hot_api.api.console()
    assert "env-1  REPORT" in console
    assert "env-2  START" in console


def test_an_invocation_in_flight_finishes_on_the_old_code_while_new_requests_get_the_new(
    hot_api: HotApi,
) -> None:
    _edit(hot_api.health_py, ORIGINAL_VERSION, SLOW_VERSION)
    _wait_for(lambda: len(hot_api.reload_lines()) == 1, 10, "the first reload")
    results: list[httpx.Response] = []
    with httpx.Client(base_url=hot_api.api.emulator.url, timeout=30) as client:
        started = hot_api.api.console().count(" START RequestId")
        in_flight = threading.Thread(target=lambda: results.append(client.get("/health")))
        in_flight.start()
        _wait_for(lambda: hot_api.api.console().count(" START RequestId") > started, 5, "the slow invocation")
        _edit(hot_api.health_py, SLOW_VERSION, 'app_version="new"')
        _wait_for(lambda: len(hot_api.reload_lines()) == 2, 10, "the second reload")
        assert hot_api.app_version() == "new"
        in_flight.join()
    (response,) = results
    assert response.status_code == 200
    assert response.json()["app_version"] == "slow"
    pool = next(iter(hot_api.api.emulator.pools.values()))
    _wait_for(lambda: len(pool.code_dirs_in_use()) == 1, 5, "the old environment to end")


def test_a_syntax_error_fails_init_until_the_code_is_fixed(hot_api: HotApi) -> None:
    assert hot_api.app_version() == "0.1.0"
    original = hot_api.health_py.read_text()
    hot_api.health_py.write_text(original.replace("def get_health(", "def get_health(("))
    _wait_for(lambda: len(hot_api.reload_lines()) == 1, 10, "the reload")
    (line,) = hot_api.reload_lines()
    assert "runtime/routers/health.py" in line
    assert "SyntaxError" in line
    assert "Runtime.UserCodeSyntaxError" in line
    for _ in range(2):
        response = hot_api.api.client.get("/health")
        assert response.status_code == 500
        assert response.json() == INTERNAL_SERVER_ERROR
    console = hot_api.api.console()
    assert console.count("Runtime.UserCodeSyntaxError") >= 2
    assert "Syntax error in module 'runtime.handler'" in console
    assert "INIT_REPORT" in console
    hot_api.health_py.write_text(original.replace(ORIGINAL_VERSION, 'app_version="fixed"'))
    _wait_for(lambda: len(hot_api.reload_lines()) == 2, 10, "the reload of the fix")
    assert hot_api.app_version() == "fixed"


def _assembly_copy(assembly_dir: Path, destination: Path) -> Path:
    """The dev stage's manifests and templates copied (editable), its assets linked."""
    destination.mkdir()
    shutil.copy(assembly_dir / "manifest.json", destination)
    shutil.copytree(assembly_dir / "assembly-dev", destination / "assembly-dev")
    for asset in assembly_dir.glob("asset.*"):
        (destination / asset.name).symlink_to(asset)
    return destination


def test_an_assembly_reload_keeps_an_unchanged_tables_items_and_recreates_a_changed_one(
    dev_assembly_dir: Path, tmp_path: Path
) -> None:
    with running_api(dev_assembly_dir, tmp_path / "state") as api:
        (table,) = api.emulator.app.tables
        dynamodb = api.emulator.aws.dynamodb()
        item = {"pk": {"S": "user#ivan"}, "sk": {"S": "item#1"}}
        dynamodb.put_item(TableName=table.name, Item=item)
        assert api.client.get("/health").status_code == 200
        (old_pool,) = api.emulator.pools.values()

        same = _assembly_copy(dev_assembly_dir, tmp_path / "same")
        changes = api.emulator.reload(StageAssembly(same, "dev"))
        assert (changes.kept, changes.recreated, changes.created) == ([table.name], [], [])
        assert dynamodb.get_item(TableName=table.name, Key=item).get("Item") == item
        assert api.client.get("/health").status_code == 200
        assert api.emulator.pools[old_pool.function.key] is not old_pool
        assert old_pool.code_dirs_in_use() == set()

        changed = _assembly_copy(dev_assembly_dir, tmp_path / "changed")
        (stateful,) = (changed / "assembly-dev").glob("devStateful*.template.json")
        template = json.loads(stateful.read_text())
        (resource,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::GlobalTable")
        resource["Properties"]["TimeToLiveSpecification"]["AttributeName"] = "gone_at"
        stateful.write_text(json.dumps(template))
        try:
            changes = api.emulator.reload(StageAssembly(changed, "dev"))
            assert (changes.kept, changes.recreated) == ([], [table.name])
            assert "Item" not in dynamodb.get_item(TableName=table.name, Key=item)
            ttl = dynamodb.describe_time_to_live(TableName=table.name)["TimeToLiveDescription"]
            assert ttl["AttributeName"] == "gone_at"
            assert api.client.get("/health").status_code == 200
        finally:
            # moto keeps its tables per process, not per server: the other emulators of this test process
            # must find the template's table again.
            api.emulator.reload(StageAssembly(same, "dev"))


def _write_context(project: Path, *, greeting: str, paths: list[str]) -> None:
    config = {"app": f"{sys.executable} app.py", "context": {"greeting": greeting, "paths": paths}}
    (project / "cdk.json").write_text(json.dumps(config, indent=2))


@pytest.mark.synth
@pytest.mark.emulator
def test_a_template_change_is_synthesized_and_served_keeping_the_tables_items(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(RELOAD_APP, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "node_modules").symlink_to(ROOT / "node_modules")
    _write_context(project, greeting="hello", paths=["/hello"])
    outdir = tmp_path / "cdk.out"
    synthesize(project, outdir, "dev")

    def synthesize_again() -> StageAssembly:
        synthesize(project, outdir, "dev")
        return StageAssembly(outdir, "dev")

    with running_api(outdir, tmp_path / "state") as api:
        reloader = Reloader(
            api.emulator, project_root=project, build_dir=tmp_path / "code", synthesize=synthesize_again
        )
        reloader.start()
        try:
            (table,) = api.emulator.app.tables
            dynamodb = api.emulator.aws.dynamodb()
            dynamodb.put_item(TableName=table.name, Item={"pk": {"S": "kept"}})
            assert api.client.get("/hello").json() == {"greeting": "hello", "path": "/hello"}
            assert api.client.get("/bonjour").status_code == 404

            def reload_lines() -> list[str]:
                return [line for line in api.console().splitlines() if " reload " in line]

            (project / "cdk.json").write_text("{ not json")
            _wait_for(lambda: len(reload_lines()) >= 2, 60, "the synthesis to start and fail")
            assert "cdk.json" in reload_lines()[0]
            assert api.client.get("/hello").json() == {"greeting": "hello", "path": "/hello"}

            _write_context(project, greeting="bonjour", paths=["/hello", "/bonjour"])
            _wait_for(
                lambda: api.client.get("/bonjour").status_code == 200,
                120,
                "the second synthesis",
                POLL_INTERVAL_SECONDS,
            )
            assert api.client.get("/bonjour").json() == {"greeting": "bonjour", "path": "/bonjour"}
            assert api.client.get("/hello").json() == {"greeting": "bonjour", "path": "/hello"}
            assert dynamodb.get_item(TableName=table.name, Key={"pk": {"S": "kept"}})["Item"]
            _wait_for(lambda: "+GET /bonjour" in api.console(), 10, "the reload's report")
            (report,) = [line for line in reload_lines() if "+GET /bonjour" in line]
            assert table.name in report
        finally:
            reloader.stop()
