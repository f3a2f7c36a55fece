"""resume() imports only factories under an allow-list, checked before importing (issue 11, defect 10).

A record names code to import and call. Here a crashed run's record is edited to name other
code, as a hostile or careless store could, and resuming must refuse it before any import:
a real module on ``sys.path`` that writes a marker file when imported proves nothing ran.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowgraph import Result
from flowgraph.errors import FactoryError
from flowgraph.recorder import open_store, record, resume
from flowgraph.recorder.factory import check_allowed, default_allowed
from tests import recorder_pipelines as rp

EVIL = """
from pathlib import Path
Path({marker!r}).write_text("imported")

def pipeline(*args, **kwargs):
    Path({marker!r}).write_text("called")
"""


@pytest.fixture
def crashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/runs.db#run"
    monkeypatch.setenv("FLOWGRAPH_TEST_CRASH_AT", "s4")
    with pytest.raises(rp.SimulatedCrash):
        record(rp.scenario_pipeline, kwargs={"side_log": str(tmp_path / "side")}, store=url)
    monkeypatch.delenv("FLOWGRAPH_TEST_CRASH_AT")
    return url


@pytest.fixture
def evil_module(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real importable module (fresh name per test) whose import leaves a marker file."""
    name = f"evil_{tmp_path.name.replace('-', '_')}"
    marker = tmp_path / "marker"
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / f"{name}.py").write_text(EVIL.format(marker=str(marker)))
    sys.path.insert(0, str(tmp_path / "mods"))
    yield name, marker
    sys.path.remove(str(tmp_path / "mods"))
    sys.modules.pop(name, None)


def name_factory(url: str, factory: str, *args: object) -> None:
    store = open_store(url)
    ex = store.load_execution()
    assert ex is not None
    ex.factory, ex.factory_args, ex.factory_kwargs = factory, list(args), {}
    store.save_execution(ex)
    store.close()


@pytest.mark.parametrize(
    ("factory", "args"),
    [("os.system", ["touch pwned"]), ("subprocess.run", [["true"]]), ("builtins.eval", ["1"]), ("flowgraph.load", [])],
)
def test_the_default_refuses_the_standard_library_and_flowgraph_internals(
    crashed: str, factory: str, args: list[object]
) -> None:
    name_factory(crashed, factory, *args)
    with pytest.raises(FactoryError, match="not under an allowed prefix"):
        resume(crashed)


def test_a_factory_outside_the_allow_list_is_never_imported(crashed: str, evil_module: tuple[str, Path]) -> None:
    module, marker = evil_module
    name_factory(crashed, f"{module}.pipeline")
    with pytest.raises(FactoryError, match="nothing was imported"):
        resume(crashed, allow_factories=["tests"])
    assert not marker.exists() and module not in sys.modules


def test_prefixes_match_whole_components(crashed: str, evil_module: tuple[str, Path]) -> None:
    module, marker = evil_module
    name_factory(crashed, f"{module}.pipeline")
    with pytest.raises(FactoryError, match="not under an allowed prefix"):
        resume(crashed, allow_factories=[module[:-1]])  # "evil_xy" does not allow "evil_xyz"
    assert not marker.exists()


def test_a_function_re_exported_from_elsewhere_is_not_called(crashed: str, tmp_path: Path) -> None:
    mods = tmp_path / "mods2"
    (mods / "shim_pkg").mkdir(parents=True)
    (mods / "shim_pkg" / "__init__.py").write_text("from os import system\n")
    sys.path.insert(0, str(mods))
    try:
        name_factory(crashed, "shim_pkg.system", f"touch {tmp_path / 'pwned'}")
        with pytest.raises(FactoryError, match=r"defined in (posix|os|nt), outside the allowed prefixes"):
            resume(crashed)  # the default allows shim_pkg, but system() lives in os
    finally:
        sys.path.remove(str(mods))
        sys.modules.pop("shim_pkg", None)
    assert not (tmp_path / "pwned").exists()


def test_the_recorded_factory_resumes_by_default_and_when_allowed(crashed: str) -> None:
    assert resume(crashed, allow_factories=["tests.recorder_pipelines"]).result is Result.SUCCESS


def test_the_default_allows_the_factory_s_own_package(crashed: str) -> None:
    assert default_allowed(rp.scenario_pipeline.__module__ + ".scenario_pipeline")[0] == "tests"
    assert resume(crashed).result is Result.SUCCESS


def test_check_allowed_examples() -> None:
    assert check_allowed("a.b.c", ["a.b"]) == ("a.b",)
    with pytest.raises(FactoryError):
        check_allowed("a.bc.d", ["a.b"])
    with pytest.raises(FactoryError):
        check_allowed("a.b", [])
