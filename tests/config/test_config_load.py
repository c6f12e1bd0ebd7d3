"""Good documents load into the right values; ${env:} substitution; the fixture trees."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from builders import Project
from config_helpers import BASE, DATA, find

from gridsync.config.load import load_desired
from gridsync.config.project import load_project
from gridsync.errors import ConfigError
from gridsync.spec import DEFAULT_INSTANCE_TYPES, InstanceType, Source

GOOD_ENV = {"ACCOUNT": "123456789012", "ML_PROD_EXTERNAL_ID": "ext-prod"}


def test_good_tree_loads_every_cluster() -> None:
    state = load_desired(load_project(DATA / "good"), GOOD_ENV)
    assert [c.name for c in state.clusters] == ["ml-batch-euw2", "ml-prod-use1", "on"]
    assert state.files == ("clusters/dev/dev.yml", "clusters/prod.yaml")
    assert state.diagnostics == ()
    prod = state.by_name()["ml-prod-use1"]
    assert prod.spec.role_arn == "arn:aws:iam::123456789012:role/grid"
    assert prod.spec.external_id == "ext-prod"
    assert prod.spec.instance_types == (
        InstanceType("t3.large"),
        InstanceType("p3.2xlarge", 1, 200),
        InstanceType("p3.8xlarge", 1, 200),  # `<<: *gpu` merge, name overridden
    )
    assert (prod.protect, prod.context, prod.spec.cost_savings) == (True, True, False)
    assert prod.source == Source("clusters/prod.yaml", 2, 1)
    assert prod.where("instance_types") == Source("clusters/prod.yaml", 9, 1)
    assert prod.where("context") == Source("clusters/prod.yaml", 18, 1)
    assert prod.sensitive == {"role_arn", "external_id"}
    assert dict(prod.unresolved) == {}


def test_second_document_defaults_default_and_literal() -> None:
    batch = load_desired(load_project(DATA / "good"), GOOD_ENV).by_name()["ml-batch-euw2"]
    assert (
        batch.spec.region == "eu-west-2"
    )  # `${env:BATCH_REGION:-eu-west-2}` with the variable unset
    assert batch.spec.external_id == "literal${not-a-reference}"  # `$${` is a literal `${`
    assert batch.spec.instance_types == tuple(InstanceType(n) for n in DEFAULT_INSTANCE_TYPES)
    assert batch.spec.cost_savings is True
    assert (batch.protect, batch.context) == (False, False)
    assert batch.source == Source("clusters/prod.yaml", 20, 1)
    assert batch.sensitive == {"region", "external_id"}
    assert "instance_types" not in batch.field_sources
    assert batch.where("instance_types") == batch.source


def test_yaml_12_scalars_and_empty_documents() -> None:
    dev = load_desired(load_project(DATA / "good"), GOOD_ENV).by_name()["on"]
    assert dev.source == Source(
        "clusters/dev/dev.yml", 4, 1
    )  # the comment-only document is skipped
    assert dev.spec.role_arn == "arn:aws-us-gov:iam::123456789012:role/grid"
    assert dev.sensitive == {"external_id"}  # always, even when written literally


def test_env_value_replaces_the_default(project: Project) -> None:
    project.write("clusters/c.yaml", BASE.replace("us-east-1", "${env:REGION:-us-east-1}"))
    assert project.load({"REGION": "eu-west-1"}).clusters[0].spec.region == "eu-west-1"
    assert (
        project.load({"REGION": ""}).clusters[0].spec.region == "us-east-1"
    )  # empty: as in the shell


def test_unresolved_env_is_a_note_not_an_error(project: Project) -> None:
    text = BASE.replace("external_id: ext-1", "external_id: ${env:ML_PROD_EXTERNAL_ID}")
    text = text.replace(
        "role_arn: arn:aws:iam::123456789012:", "role_arn: arn:aws:iam::${env:ACCOUNT}:"
    )
    project.write("clusters/c.yaml", text)
    state = project.load()
    (cluster,) = state.clusters
    assert dict(cluster.unresolved) == {"external_id": "ML_PROD_EXTERNAL_ID", "role_arn": "ACCOUNT"}
    assert cluster.spec.external_id == "${env:ML_PROD_EXTERNAL_ID}"
    assert (
        cluster.spec.role_arn == "arn:aws:iam::${env:ACCOUNT}:role/grid"
    )  # not checked as an ARN yet
    assert cluster.sensitive == {"external_id", "role_arn"}
    assert {d.severity for d in state.diagnostics} == {"note"}
    note = find(state.diagnostics, 7, 14, "${env:ML_PROD_EXTERNAL_ID} is not set")
    assert "plan cannot compare external_id; apply will refuse until it is set" in note.message
    assert note.yaml_path == "external_id"
    find(state.diagnostics, 6, 11, "${env:ACCOUNT} is not set")


def test_environment_comes_only_from_the_argument(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GS_TEST_EXTERNAL", "from-os-environ")
    project.write("clusters/c.yaml", BASE.replace("ext-1", "${env:GS_TEST_EXTERNAL}"))
    assert project.load({}).clusters[0].unresolved == {"external_id": "GS_TEST_EXTERNAL"}
    assert project.load({"GS_TEST_EXTERNAL": "given"}).clusters[0].spec.external_id == "given"


def test_embedded_substitution_and_multiple_references(project: Project) -> None:
    text = BASE.replace("name: ml-a", "name: ml-${env:STAGE}-${env:AZ:-use1}")
    project.write("clusters/c.yaml", text)
    (cluster,) = project.load({"STAGE": "prod"}).clusters
    assert cluster.name == "ml-prod-use1"
    assert "name" in cluster.sensitive


def test_bom_and_yml_extension(project: Project) -> None:
    project.write("clusters/c.yml", b"\xef\xbb\xbf" + BASE.encode())
    assert [c.name for c in project.load().clusters] == ["ml-a"]


def test_no_cluster_files_is_a_warning(project: Project) -> None:
    state = project.load()
    assert state.clusters == ()
    assert state.files == ()
    (warning,) = state.diagnostics
    assert warning.severity == "warning"
    assert "clusters/**/*.yaml, clusters/**/*.yml" in warning.message


def test_clusters_sorted_by_name_across_files(project: Project) -> None:
    project.write("clusters/a.yaml", BASE.replace("ml-a", "ml-z"))
    project.write("clusters/b/b.yaml", BASE.replace("ml-a", "ml-b"))
    state = project.load()
    assert [c.name for c in state.clusters] == ["ml-b", "ml-z"]
    assert state.files == ("clusters/a.yaml", "clusters/b/b.yaml")


def test_duplicate_names_name_the_first_place(project: Project) -> None:
    project.write("clusters/a.yaml", "# first\n\n" + BASE)
    project.write("clusters/b.yaml", BASE + "---\n" + BASE)
    diagnostics = project.errors()
    assert {(d.path, d.line) for d in diagnostics} == {
        ("clusters/b.yaml", 3),
        ("clusters/b.yaml", 11),
    }
    assert all(
        "cluster 'ml-a' is already declared at clusters/a.yaml:5" in d.message for d in diagnostics
    )


def test_only_one_context(project: Project) -> None:
    for name in ("ml-a", "ml-b", "ml-c"):
        project.write(f"clusters/{name}.yaml", BASE.replace("ml-a", name) + "context: true\n")
    diagnostics = project.errors()
    assert [(d.path, d.line, d.col) for d in diagnostics] == [
        ("clusters/ml-b.yaml", 8, 10),
        ("clusters/ml-c.yaml", 8, 10),
    ]
    assert all(
        "cluster 'ml-a' at clusters/ml-a.yaml:8 is already the context" in d.message
        for d in diagnostics
    )


def test_broken_tree_reports_every_error_at_its_line(tmp_path: Path) -> None:
    root = shutil.copytree(DATA / "broken", tmp_path / "broken")
    with pytest.raises(ConfigError) as caught:
        load_desired(load_project(root), {})
    got = caught.value.diagnostics
    expected = [
        (
            "clusters/b-dupes.yaml",
            3,
            "cluster 'ml-a' is already declared at clusters/a-good.yaml:4",
        ),
        ("clusters/b-dupes.yaml", 8, "duplicate key 'region' (first written at line 5)"),
        (
            "clusters/b-dupes.yaml",
            9,
            "cluster 'ml-a' at clusters/a-good.yaml:9 is already the context",
        ),
        ("clusters/c-schema.yaml", 1, "missing required field 'region'"),
        ("clusters/c-schema.yaml", 1, "apiVersion must be 'gridsync/v1'"),
        ("clusters/c-schema.yaml", 7, "expected a boolean, got the string 'yes'"),
        (
            "clusters/c-schema.yaml",
            8,
            "unknown field 'instance_type'; did you mean 'instance_types'?",
        ),
        ("clusters/d-syntax.yaml", 5, "YAML syntax error"),
        ("clusters/e-tabs.yaml", 3, "tabs are not allowed for indentation"),
        ("clusters/f-latin1.yaml", 3, "not valid UTF-8"),
        ("clusters/g-multi.yaml", 3, "did you mean 'ml-prod'?"),
        ("clusters/g-multi.yaml", 10, "'m6g.large' is an ARM (Graviton) instance type"),
        ("clusters/g-multi.yaml", 12, "must be a mapping"),
        ("clusters/h-dir.yaml", 1, "is a directory"),
        ("clusters/nested/i-bomb.yml", 1, "YAML alias bomb"),
    ]
    missing = [
        e for e in expected if not any((d.path, d.line) == e[:2] and e[2] in d.message for d in got)
    ]
    assert missing == [], "\n".join(d.format() for d in got)
    assert len([d for d in got if d.severity == "error"]) == len(expected)
    assert list(got) == sorted(got, key=lambda d: (d.path, d.line, d.col))
    assert {d.yaml_path for d in got if d.path == "clusters/g-multi.yaml"} == {
        "[doc 1] name",
        "[doc 1] instance_types[1]",
        "[doc 2]",
    }


def test_templates_keep_env_references_as_written(project: Project) -> None:
    text = BASE.replace("external_id: ext-1", "external_id: ${env:EXT:-fallback}")
    project.write("clusters/c.yaml", text.replace("us-east-1", "${env:REGION:-us-east-1}"))
    (cluster,) = project.load({"EXT": "s3cret"}).clusters
    assert dict(cluster.templates) == {
        "external_id": "${env:EXT:-fallback}",
        "region": "${env:REGION:-us-east-1}",
    }
    assert cluster.spec.external_id == "s3cret"


def test_infrastructure_supplies_role_and_external_id(project: Project) -> None:
    text = BASE.replace("role_arn: arn:aws:iam::123456789012:role/grid\nexternal_id: ext-1\n", "")
    text += (
        "infrastructure:\n  terraform:\n    module: infra/byoc/\n    var_file: infra/prod.tfvars\n"
        "    vars: {cluster_name: ml-a, testing_cluster: false}\n"
        "aws: {account_id: '123456789012', profile: grid-admin}\n"
    )
    project.write("gridsync.yaml", "terraform_bin: /opt/terraform\nterraform_timeout: 30m\n")
    project.write("clusters/c.yaml", text)
    project.write("infra/byoc/main.tf", "")
    project.write("infra/prod.tfvars", "")
    (cluster,) = project.load().clusters
    assert cluster.terraform is not None and cluster.terraform.module == "infra/byoc"
    assert (cluster.terraform.var_file, cluster.terraform.output) == (
        "infra/prod.tfvars",
        "gridv1_cluster",
    )
    assert dict(cluster.terraform.vars) == {"cluster_name": "ml-a", "testing_cluster": False}
    assert cluster.aws is not None and (cluster.aws.account_id, cluster.aws.profile) == (
        "123456789012",
        "grid-admin",
    )
    assert cluster.from_terraform == {"role_arn", "external_id"}
    settings = load_project(project.root)
    assert (settings.terraform_bin, settings.terraform_timeout) == ("/opt/terraform", 1800.0)


@pytest.mark.parametrize(
    ("files", "line", "message"),
    [
        ({}, 8, "module 'infra/byoc' is not a directory of the project"),
        ({"infra/byoc": "a file"}, 8, "module 'infra/byoc' is not a directory of the project"),
        ({"infra/byoc/README.md": ""}, 8, "module 'infra/byoc' holds no *.tf or *.tf.json file"),
        ({"infra/byoc/sub/main.tf": ""}, 8, "holds no *.tf or *.tf.json file"),
        ({"infra/byoc/main.tf.json": "{}"}, 9, "var_file 'v.tfvars' is not a file of the project"),
        ({"infra/byoc/main.tf": "", "v.tfvars/x": ""}, 9, "var_file 'v.tfvars' is not a file"),
    ],
)
def test_a_terraform_module_or_var_file_missing_is_an_error_where_it_is_written(
    project: Project, files: dict[str, str], line: int, message: str
) -> None:
    """validate finds what plan would fail on at Terraform's init, with no line to fix."""
    text = BASE.replace("role_arn: arn:aws:iam::123456789012:role/grid\nexternal_id: ext-1\n", "")
    text += "infrastructure:\n  terraform:\n    module: infra/byoc\n    var_file: v.tfvars\n"
    project.write("clusters/c.yaml", text)
    for rel, content in files.items():
        project.write(rel, content)
    found = [(e.path, e.line) for e in project.errors() if message in e.message]
    assert found == [("clusters/c.yaml", line)]


def test_a_terraform_module_linked_out_of_the_project_is_refused(
    project: Project, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "main.tf").write_text("")
    (project.root / "infra").mkdir()
    (project.root / "infra" / "byoc").symlink_to(outside)
    text = BASE.replace("role_arn: arn:aws:iam::123456789012:role/grid\nexternal_id: ext-1\n", "")
    project.write("clusters/c.yaml", text + "infrastructure: {terraform: {module: infra/byoc}}\n")
    (error,) = project.errors()
    assert "module 'infra/byoc' leads outside the project root" in error.message


def test_without_infrastructure_role_and_external_id_are_required(project: Project) -> None:
    project.write("clusters/c.yaml", BASE.replace("external_id: ext-1\n", ""))
    find(project.errors(), 1, 1, "missing required field 'external_id'")


@pytest.mark.parametrize(
    ("globs", "folders", "holds"),
    [
        ("['runs/**/*.yaml']", [], False),  # no runs/ folder: nothing for a second core to find
        ("['runs/**/*.yaml']", ["runs"], True),
        ("['**/*.run.yaml']", [], True),  # from the root itself
        ("['jobs/a/train.yaml']", ["jobs/a"], True),  # one file: its folder
        ("['jobs/a/train.yaml', 'x/*/y.yaml']", ["x"], True),
    ],
)
def test_the_run_config_walk_goes_to_the_second_core_only_where_a_run_folder_exists(
    project: Project, globs: str, folders: list[str], holds: bool
) -> None:
    from gridsync.config.load import _may_hold_run_configs

    project.write("gridsync.yaml", f"runs: {globs}\n")
    for folder in folders:
        (project.root / folder).mkdir(parents=True)
    assert _may_hold_run_configs(load_project(project.root)) is holds
