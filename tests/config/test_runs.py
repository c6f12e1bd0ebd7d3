"""Grid run and session config files as desired state: discovery, schema, bindings, references."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import Project
from config_helpers import BASE, find

from gridsync.config.desired import RunConfig
from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.errors import Diagnostic
from gridsync.spec import Source

RUNS = Path(__file__).resolve().parents[1] / "data" / "runs"
REFERENCE = (RUNS / "good" / "runs" / "train.yaml").read_text(encoding="utf-8")

# A run config; line N of the text is line N of the file. Cases append line 6 on.
HEAD = """\
compute:
  provider:
    cluster: ml-a
  train:
    instance: t3.large
"""


def cluster(name: str, *globs: str) -> str:
    """A valid cluster document named `name`; its `runs:` key is on line 8, globs from line 9."""
    text = BASE.replace("ml-a", name)
    if globs:
        text += "runs:\n" + "".join(f"  - {glob}\n" for glob in globs)
    return text


@pytest.fixture
def runs(project: Project) -> Project:
    """The project with one cluster, ml-a, that binds nothing."""
    project.write("clusters/a.yaml", cluster("ml-a"))
    return project


def formatted(diagnostics: tuple[Diagnostic, ...]) -> list[str]:
    return [d.format() for d in diagnostics]


def test_good_tree() -> None:
    state = load_desired(load_project(RUNS / "good"), {})
    assert [c.name for c in state.clusters] == ["prod-use1"]
    assert state.clusters[0].runs == ("jobs/*.yaml",)
    assert state.files == ("clusters/prod.yaml",)  # the cluster files only
    nightly, notebook, styled, train = state.runs
    # Bound, outside the default run globs; no provider: the source is the `compute` key. A bound
    # file keeps its text (for the edit), the others do not.
    text = (RUNS / "good" / "jobs" / "nightly.yaml").read_bytes().decode()
    assert nightly == RunConfig(
        "jobs/nightly.yaml", "run", None, Source("jobs/nightly.yaml", 2, 1), "prod-use1", text
    )
    assert notebook == RunConfig(
        "runs/team/notebook.yml", "session", "dev-euw2", Source("runs/team/notebook.yml", 4, 14)
    )
    # Anchors, a merge and flow style: the value inside `{provider: {cluster: 'prod-use1'}}`.
    assert styled == RunConfig(
        "runs/team/styled.yaml", "run", "prod-use1", Source("runs/team/styled.yaml", 4, 31)
    )
    assert train == RunConfig(
        "runs/train.yaml", "run", "prod-use1", Source("runs/train.yaml", 3, 14)
    )
    assert formatted(state.diagnostics) == [
        "runs/team/styled.yaml:2:1: warning: defaults: unknown key 'defaults' (Grid ignores it); "
        "known keys: compute, hyper_params"
    ]


def test_the_reference_example_loads_clean(runs: Project) -> None:
    runs.write("runs/train.yaml", REFERENCE)
    state = runs.load()
    assert state.diagnostics == ()
    assert state.runs == (
        RunConfig("runs/train.yaml", "run", "prod-use1", Source("runs/train.yaml", 3, 14)),
    )


@pytest.mark.parametrize("framework", ["pytorch", "torch", "julia", "julia:1.6.1", "julia:1.7.1"])
def test_every_framework_grid_accepts_is_accepted(runs: Project, framework: str) -> None:
    runs.write("runs/r.yaml", HEAD + f"    framework: '{framework}'\n")
    assert runs.load().diagnostics == ()


def test_ignored_sweep_keys_and_package_manager_are_warnings(runs: Project) -> None:
    runs.write(
        "runs/r.yaml",
        HEAD
        + "    dependency_file_info: {path: requirements.txt, package_manager: pip}\n"
        + "hyper_params:\n  settings:\n    strategy: grid_search\n    num_trials: 3\n"
        + "    seed: 7\n    strategy_options: {num_trials: '3', seed: '7'}\n",
    )
    found = {(d.line, d.severity, d.message.split(";")[0]) for d in runs.load().diagnostics}
    assert found == {
        (6, "warning", "package_manager is not read by Grid (the grid CLI reads only path)"),
        (10, "warning", "hyper_params.settings.num_trials is ignored by `grid run --config` "
         "(only strategy and strategy_options are read)"),
        (11, "warning", "hyper_params.settings.seed is ignored by `grid run --config` "
         "(only strategy and strategy_options are read)"),
    }  # fmt: skip


def test_keys_grid_reads_as_booleans_numbers_or_null_are_warnings(runs: Project) -> None:
    """`environment: {ON: "1"}` gives the run the variable True to Grid's loader (PyYAML)."""
    runs.write("runs/r.yaml", HEAD + '    environment: {ON: "1", "OFF": "2", 8080: "3", HOME: x}\n')
    found = [(d.line, d.col, d.severity, d.message) for d in runs.load().diagnostics]
    assert found == [
        (6, 19, "warning", "the key 'ON' is a string to gridsync, but Grid's loader (YAML 1.1, as "
         "the grid CLI reads this file) reads it as the boolean true; quote it ('ON') to mean "
         "the string"),
        (6, 40, "warning", "the key '8080' is a string to gridsync, but Grid's loader (YAML 1.1, "
         "as the grid CLI reads this file) reads it as the number 8080; quote it ('8080') to "
         "mean the string"),
    ]  # fmt: skip


def test_random_search_without_num_trials_warns(runs: Project) -> None:
    runs.write("runs/r.yaml", HEAD + "hyper_params: {settings: {strategy: random_search}}\n")
    (warning,) = runs.load().diagnostics
    assert warning.severity == "warning" and "random_search needs num_trials" in warning.message


def test_the_projects_own_run_configs_load_clean() -> None:
    """runs/research/train-resnet.yaml once relied on settings.num_trials, which the CLI ignores."""
    root = Path(__file__).resolve().parents[2]
    state = load_desired(load_project(root), {})
    assert [d.format() for d in state.diagnostics if d.path.startswith("runs/")] == []


def test_a_project_without_run_configs_is_unchanged(runs: Project) -> None:
    state = runs.load()
    assert (state.runs, state.diagnostics) == ((), ())


def test_unknown_keys_at_every_depth_are_warnings_with_did_you_mean(runs: Project) -> None:
    runs.write(
        "runs/train.yaml",
        HEAD
        + "    use_spot: true\n"
        + "    gpu: 1\n"
        + "    actions:\n"
        + "      on_build_strat: [echo hi]\n"
        + "hyperparams:\n"
        + "  settings: {stratgy: none}\n",
    )
    runs.write("runs/other.yaml", "hyper_params:\n  settings: {stratgy: none}\n")
    state = runs.load()  # warnings only: it loads
    assert formatted(state.diagnostics) == [
        "runs/other.yaml:2:14: warning: hyper_params.settings.stratgy: unknown key 'stratgy' "
        "(Grid ignores it); did you mean 'strategy'?",
        "runs/train.yaml:7:5: warning: compute.train.gpu: unknown key 'gpu' (Grid ignores it); "
        "did you mean 'gpus'?",
        "runs/train.yaml:9:7: warning: compute.train.actions.on_build_strat: unknown key "
        "'on_build_strat' (Grid ignores it); did you mean 'on_build_start'?",
        "runs/train.yaml:10:1: warning: hyperparams: unknown key 'hyperparams' (Grid ignores it); "
        "did you mean 'hyper_params'?",
    ]


def test_old_provider_keys_are_warnings(runs: Project) -> None:
    runs.write(
        "runs/old.yaml",
        "compute:\n  provider:\n"
        "    vendor: aws\n    region: us-east-1\n    credentials: cc-8d4e4\n",
    )
    diagnostics = runs.load().diagnostics
    assert [(d.line, d.yaml_path, d.severity) for d in diagnostics] == [
        (3, "compute.provider.vendor", "warning"),
        (4, "compute.provider.region", "warning"),
        (5, "compute.provider.credentials", "warning"),
    ]
    assert all("the last grid CLI reads none of them" in d.message for d in diagnostics)


@dataclass
class Bad:
    id: str
    lines: str  # appended to HEAD from line 6
    line: int
    col: int
    fragment: str


BAD = [
    Bad(
        "storage",
        "    storage_gb: 50\n",
        6,
        17,
        "storage_gb must be at least 100, got the integer 50",
    ),
    Bad(
        "half a datastore",
        "    datastore_name: mnist\n",
        6,
        5,
        "datastore_name needs datastore_version too: write both or neither",
    ),
    Bad(
        "other half",
        "    datastore_mount_dir: /d\n    datastore_version: 2\n",
        7,
        5,
        "datastore_version needs datastore_name too",
    ),
    Bad(
        "two scratch keys",
        "    scratch: {size_gb: 100, mount_path: /tmp/scratch}\n",
        6,
        14,
        "scratch must hold exactly one key, got 2: size_gb, mount_path",
    ),
    Bad("no scratch key", "    scratch: {}\n", 6, 14, "scratch must hold exactly one key, got 0"),
    Bad(
        "framework",
        "    framework: pytorh\n",
        6,
        16,
        "framework must be one of lightning, pytorch, torch, tensorflow, torchelastic, julia, "
        "julia:1.6.1, julia:1.6.2, julia:1.6.3, julia:1.6.4, julia:1.6.5, julia:1.7.0, "
        "julia:1.7.1; got 'pytorh'; did you mean 'pytorch'?",
    ),
    Bad("julia version", "    framework: 'julia:'\n", 6, 16, "got 'julia:'"),
    Bad("julia refused by Grid", "    framework: 'julia:2.0'\n", 6, 16, "got 'julia:2.0'"),
    Bad(
        "integer strategy option",
        "hyper_params: {settings: {strategy_options: {num_trials: 10}}}\n",
        6,
        58,
        'quote it (num_trials: "10"): Grid takes strategy options as a map of strings',
    ),
    Bad(
        "random_search relying on settings.num_trials",
        "hyper_params: {settings: {strategy: random_search, num_trials: 10}}\n",
        6,
        52,
        "hyper_params.settings.num_trials is ignored by `grid run --config`",
    ),
    Bad(
        "strategy",
        "hyper_params: {settings: {strategy: bayes}}\n",
        6,
        37,
        "strategy must be one of 'grid_search', 'random_search', 'none'; got the string 'bayes'",
    ),
    Bad(
        "trials",
        "hyper_params: {settings: {num_trials: 0}}\n",
        6,
        39,
        "num_trials must be at least 1",
    ),
    Bad("gpus", "    gpus: -1\n", 6, 11, "gpus must be at least 0"),
    Bad("yaml 1.1 bool", "    use_spot: yes\n", 6, 15, "expected a boolean, got the string 'yes'"),
    Bad(
        "env number",
        "    environment:\n      MY_VAR: 1\n",
        7,
        15,
        "expected a string, got the integer 1; quote the value",
    ),
    Bad("action", "    actions: {on_build_start: echo}\n", 6, 31, "expected a list or null, got"),
    Bad("session disk", "    disk_size: 50\n", 6, 16, "disk_size must be at least 100"),
    Bad("compute type", "hyper_params: []\n", 6, 15, "expected a mapping, got a list"),
]


@pytest.mark.parametrize("case", BAD, ids=lambda case: case.id)
def test_schema_errors_with_their_line(runs: Project, case: Bad) -> None:
    runs.write("runs/r.yaml", HEAD + case.lines)
    diagnostic = find(runs.errors(), case.line, case.col, case.fragment)
    assert (diagnostic.path, diagnostic.severity) == ("runs/r.yaml", "error")


def test_every_error_of_every_file_in_one_run(runs: Project) -> None:
    runs.write("clusters/b.yaml", cluster("ml-b").replace("us-east-1", "nowhere"))
    runs.write("runs/a.yaml", HEAD + "    gpus: many\n    storage_gb: 1\n    gpu: 1\n")
    runs.write("runs/b.yaml", "compute: {train: {cpus: -2}}\n")
    diagnostics = runs.errors()
    assert [(d.path, d.line, d.severity) for d in diagnostics] == [
        ("clusters/b.yaml", 5, "error"),
        ("runs/a.yaml", 6, "error"),
        ("runs/a.yaml", 7, "error"),
        ("runs/a.yaml", 8, "warning"),
        ("runs/b.yaml", 1, "error"),
    ]


@pytest.mark.parametrize(
    ("content", "line", "col", "fragment"),
    [
        (
            "- compute\n",
            1,
            1,
            "a run config must be a mapping (compute:, hyper_params:), got a list",
        ),
        ("just text\n", 1, 1, "must be a mapping"),
        ("# nothing here\n", 1, 1, "the file is empty"),
        ("compute: {}\n---\ncompute: {}\n", 3, 1, "must hold a single YAML document"),
        ("compute:\n  train: {gpus: 1\n", 3, 1, "YAML syntax error"),
        ("compute:\n  train: {}\n  train: {}\n", 3, 3, "duplicate key 'train'"),
        (b"compute: {train: {instance: \xff}}\n", 1, 29, "not valid UTF-8"),
        (b"\xef\xbb\xbfcompute: {train: {instance: \xff}}\n", 1, 29, "not valid UTF-8"),  # BOM
        ("\ufeffcompute:\n  train: {}\n  train: {}\n", 3, 3, "duplicate key 'train'"),
        # A second file's BOM, after `cat`: libyaml reads `compute`, Grid's loader '\ufeffcompute'.
        ("# joined\n\ufeffcompute: {train: {gpus: 1}}\n", 2, 1, "a byte order mark (U+FEFF)"),
        ("x: 1\r\ufeffcompute: {}\n", 2, 1, "a byte order mark (U+FEFF) starts this line"),
        # A block scalar's header with its comment and no space between: libyaml reads on.
        (
            "compute:\n  train:\n    environment:\n      SETUP: |#c\n        pip install x\n",
            4,
            15,
            "Grid's loader (yaml.safe_load) cannot read this file",
        ),
    ],
)
def test_files_grid_refuses(
    runs: Project, content: str | bytes, line: int, col: int, fragment: str
) -> None:
    runs.write("runs/r.yaml", content)
    find(runs.errors(), line, col, fragment)


def test_cluster_references(runs: Project) -> None:
    runs.write("runs/declared.yaml", HEAD)
    runs.write("runs/live-only.yaml", HEAD.replace("ml-a", "someone-elses"))
    runs.write("runs/none.yaml", "hyper_params: {params: {--lr: 1}}\n")
    runs.write("runs/null.yaml", "compute:\n  provider:\n    cluster: null\n")
    state = runs.load()
    assert state.diagnostics == ()  # an undeclared name is the plan's business, not an error
    assert [(r.path, r.cluster, r.source) for r in state.runs] == [
        ("runs/declared.yaml", "ml-a", Source("runs/declared.yaml", 3, 14)),
        ("runs/live-only.yaml", "someone-elses", Source("runs/live-only.yaml", 3, 14)),
        ("runs/none.yaml", None, Source("runs/none.yaml", 1, 1)),  # no `compute`: the file start
        ("runs/null.yaml", None, Source("runs/null.yaml", 3, 14)),  # written as null: there
    ]


def test_a_reference_that_cannot_be_a_cluster_name(runs: Project) -> None:
    runs.write("runs/r.yaml", HEAD.replace("ml-a", "Prod_Use1"))
    runs.write("runs/n.yaml", HEAD.replace("ml-a", "123"))  # YAML reads an integer
    diagnostics = runs.errors()
    found = find(diagnostics, 3, 14, "'Prod_Use1' is not a valid cluster name or id")
    assert found.message.endswith("did you mean 'prod-use1'?")
    assert found.yaml_path == "compute.provider.cluster"
    find(diagnostics, 3, 14, "expected a string or null, got the integer 123")


def test_session_and_run_kinds(runs: Project) -> None:
    runs.write("runs/s.yaml", "compute:\n  train:\n    instance_type: t3.large\n")
    runs.write("runs/d.yaml", "compute:\n  train:\n    disk_size: 300\n")
    runs.write(
        "runs/mixed.yaml", "compute:\n  train:\n    instance: t3.large\n    disk_size: 300\n"
    )
    state = runs.load()
    assert [(r.path, r.kind) for r in state.runs] == [
        ("runs/d.yaml", "session"),
        ("runs/mixed.yaml", "session"),
        ("runs/s.yaml", "session"),
    ]
    (warning,) = state.diagnostics
    assert (warning.path, warning.line, warning.severity) == ("runs/mixed.yaml", 4, "warning")
    assert "treats this file as a session config" in warning.message


def test_bindings(project: Project) -> None:
    project.write("clusters/a.yaml", cluster("ml-a", "runs/a/*.yaml", "nothing/*.yaml"))
    project.write("clusters/b.yaml", cluster("ml-b", "runs/b/*.yaml"))
    project.write("runs/a/one.yaml", HEAD)
    project.write("runs/b/two.yaml", HEAD)  # says ml-a, bound to ml-b: the plan moves it
    project.write("runs/free.yaml", HEAD)
    state = project.load()
    assert [(r.path, r.bound_to, r.cluster) for r in state.runs] == [
        ("runs/a/one.yaml", "ml-a", "ml-a"),
        ("runs/b/two.yaml", "ml-b", "ml-a"),
        ("runs/free.yaml", None, "ml-a"),
    ]
    assert state.by_name()["ml-a"].runs == ("runs/a/*.yaml", "nothing/*.yaml")
    assert formatted(state.diagnostics) == [
        "clusters/a.yaml:10:5: warning: runs[1]: glob 'nothing/*.yaml' matches no file: "
        "it binds no run config"
    ]


def test_two_clusters_binding_one_file(project: Project) -> None:
    project.write("clusters/a.yaml", cluster("ml-a", "runs/*.yaml"))
    project.write("clusters/b.yaml", cluster("ml-b", "runs/shared.yaml", "runs/s*.yaml"))
    project.write("runs/shared.yaml", HEAD)
    (error,) = project.errors()  # both of b's globs match: reported once
    assert (error.path, error.line, error.col, error.yaml_path) == ("clusters/b.yaml", 8, 1, "runs")
    assert error.message == (
        "run config runs/shared.yaml is bound to cluster 'ml-a' (runs: at clusters/a.yaml:8) "
        "and to cluster 'ml-b'; a run config runs on one cluster: narrow one of the two "
        "`runs:` globs"
    )


def test_one_cluster_binding_a_file_twice_is_fine(project: Project) -> None:
    project.write("clusters/a.yaml", cluster("ml-a", "runs/*.yaml", "runs/**/*.yaml"))
    project.write("runs/r.yaml", HEAD)
    assert [r.bound_to for r in project.load().runs] == ["ml-a"]


def test_bound_file_outside_the_run_globs_is_found(project: Project) -> None:
    project.write("gridsync.yaml", "runs: []\n")  # no run configs but the bound ones
    project.write("clusters/a.yaml", cluster("ml-a", "jobs/**/*.yml"))
    project.write("jobs/x/nightly.yml", HEAD + "    gpu: 1\n")
    project.write("runs/ignored.yaml", "not: [checked\n")
    state = project.load()
    assert [(r.path, r.bound_to) for r in state.runs] == [("jobs/x/nightly.yml", "ml-a")]
    assert [d.path for d in state.diagnostics] == ["jobs/x/nightly.yml"]  # checked like any other


def test_custom_run_globs(project: Project) -> None:
    project.write("gridsync.yaml", "runs: ['grid/*.yaml', 'sessions/*.yml']\n")
    project.write("clusters/a.yaml", cluster("ml-a"))
    project.write("grid/train.yaml", HEAD)
    project.write("sessions/nb.yml", "compute: {train: {instance_type: t3.large}}\n")
    project.write("runs/default-place.yaml", HEAD)
    state = project.load()
    assert [(r.path, r.kind) for r in state.runs] == [
        ("grid/train.yaml", "run"),
        ("sessions/nb.yml", "session"),
    ]
    assert load_project(project.root).run_globs == ("grid/*.yaml", "sessions/*.yml")


@pytest.mark.parametrize(
    ("setting", "line", "col", "fragment"),
    [
        ("runs: [/etc/*.yaml]\n", 1, 8, "must be relative to the project root"),
        ("runs: ['../x/*.yaml']\n", 1, 8, "must stay inside the project root"),
        ("runs: ['']\n", 1, 8, "must not be empty"),
    ],
)
def test_bad_run_globs_in_gridsync_yaml(
    project: Project, setting: str, line: int, col: int, fragment: str
) -> None:
    project.write("gridsync.yaml", setting)
    find(project.errors(), line, col, fragment)


def test_bad_binding_globs(project: Project) -> None:
    project.write("clusters/a.yaml", cluster("ml-a", "/abs/*.yaml", "../up/*.yaml"))
    project.write(
        "clusters/b.yaml", cluster("ml-b").replace("external_id", "runs: runs/*.yaml\nexternal_id")
    )
    diagnostics = project.errors()
    find(diagnostics, 9, 5, "glob '/abs/*.yaml' must be relative to the project root")
    find(diagnostics, 10, 5, "glob '../up/*.yaml' must stay inside the project root")
    find(diagnostics, 7, 7, "expected a list, got the string 'runs/*.yaml'")


def test_a_file_cannot_be_both_a_cluster_file_and_a_run_config(project: Project) -> None:
    project.write("clusters/a.yaml", cluster("ml-a", "clusters/*.yaml"))
    project.write("gridsync.yaml", "runs: ['*.yaml']\n")
    diagnostics = project.errors()
    assert [(d.path, d.line) for d in diagnostics] == [("clusters/a.yaml", 1), ("gridsync.yaml", 1)]
    assert "both the cluster file globs and the run config globs" in diagnostics[0].message
    assert "holds the project settings, not a run config" in diagnostics[1].message


def test_crlf_file_keeps_its_lines(runs: Project) -> None:
    text = HEAD + "    storage_gb: 20\n"
    runs.write("runs/win.yaml", text.replace("\n", "\r\n").encode())
    runs.write("runs/ok.yaml", REFERENCE.replace("\n", "\r\n").encode())
    (error,) = runs.errors()
    assert (error.path, error.line, error.col) == ("runs/win.yaml", 6, 17)


def test_text_is_the_file_as_written_for_edits(runs: Project) -> None:
    raw = "\ufeff# caf\u00e9 \U0001f680\r\n" + HEAD.replace("\n", "\r\n")
    runs.write("clusters/a.yaml", cluster("ml-a", "runs/r.yaml"))  # bound: the plan may edit it
    runs.write("runs/r.yaml", raw.encode("utf-8"))
    runs.write("runs/other.yaml", raw.encode("utf-8"))
    other, run = runs.load().runs
    assert run.text == raw  # BOM, CRLF and non-ASCII kept: yamledit needs the exact text
    assert run.source == Source("runs/r.yaml", 4, 14)
    assert other.bound_to is None and other.text == ""  # never edited: its text is not kept


def test_symlinked_run_config_escaping_the_root(runs: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(HEAD)
    (runs.root / "runs").mkdir()
    (runs.root / "runs" / "r.yaml").symlink_to(outside)
    runs.write("inside.yaml", HEAD)
    os.symlink("../inside.yaml", runs.root / "runs" / "s.yaml")  # inside the root: fine
    (error,) = runs.errors()
    assert error.path == "runs/r.yaml"
    assert "symlink escapes the project root" in error.message


# Where a tab may go in a run config: the places the pure parser and libyaml read alike, and the
# places only libyaml accepts (before a comment, after a colon or a comma, in a plain value).
TAB_TEMPLATE = (
    "compute:\n"
    "  provider:{0}\n"
    "    cluster:{1}ml-a{2}# the cluster{3}here\n"
    "  train: {{instance:{4}g4dn.xlarge,{5}gpus: 1}}\n"
    "hyper_params:\n"
    '  params: {{--lr: "uniform({6}1e-5, 1e-1)"{7}}}\n'
    "  settings: {{strategy: 'random{8}search'}}\n"
)


def test_a_tab_grid_cannot_read_is_an_error_and_no_other_tab_is(tmp_path: Path) -> None:
    """Every placement of one or two tabs in TAB_TEMPLATE: the run config is refused exactly when
    libyaml reads it and Grid's loader (yaml.safe_load) does not."""
    import itertools

    import yaml

    from gridsync.config.discover import Found
    from gridsync.config.runs import read_run

    slots = 9
    placements = [(i,) for i in range(slots)] + list(itertools.combinations(range(slots), 2))
    checked = refused = 0
    for tabs in placements:
        text = TAB_TEMPLATE.format(*("\t" if i in tabs else " " for i in range(slots)))
        try:
            yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            continue  # a syntax error for gridsync too: another test's business
        try:
            yaml.safe_load(text)
            grid_reads = True
        except yaml.YAMLError:
            grid_reads = False
        path = tmp_path / "t.yaml"
        path.write_text(text, encoding="utf-8")
        _, diagnostics = read_run(Found("runs/t.yaml", str(path)))
        said = any("Grid's loader (yaml.safe_load)" in d.message for d in diagnostics)
        assert said != grid_reads, (tabs, text, [d.format() for d in diagnostics])
        checked += 1
        refused += not grid_reads
    assert (checked, refused) > (30, 0) and refused < checked, (checked, refused)  # both met
