"""Byte-preserving edits of compute.provider.cluster in Grid run configs (gridsync.yamledit)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from yamlmutants import mutants

from gridsync import yamledit
from gridsync.errors import GridsyncError
from gridsync.yamledit import EditError, get_scalar, set_scalar
from gridsync.yamledit import source as yamlparse
from gridsync.yamledit import splice as yamlsplice

P = ("compute", "provider", "cluster")

# The run config example of /work/shared/grid-reference.md, byte for byte.
REFERENCE = """\
compute:
  provider:
    cluster: prod-use1       # the cluster id; the only key read under provider; beats --cluster and the context
  train:
    instance: g4dn.xlarge    # runs; sessions use instance_type and disk_size instead
    use_spot: true
    cpus: 0
    gpus: 1
    storage_gb: 100          # at least 100
    framework: lightning     # lightning | torch | tensorflow | julia[:version] | torchelastic
    environment: {MY_VAR: "1"}
    datastore_name: mnist    # datastore_name and datastore_version: both or neither
    datastore_version: 1
    datastore_mount_dir: /datastores/mnist
    actions: {on_build_start: ["apt-get install -y ffmpeg"], on_experiment_start: ["echo start"]}
    scratch: {size_gb: 200}  # exactly one key
hyper_params:
  settings: {strategy: random_search, num_trials: 10}   # grid_search | random_search | none
  params: {--learning_rate: "uniform(1e-5, 1e-1, 20)"}
"""
TRAIN = {
    "instance": "g4dn.xlarge",
    "use_spot": True,
    "cpus": 0,
    "gpus": 1,
    "storage_gb": 100,
    "framework": "lightning",
    "environment": {"MY_VAR": "1"},
    "datastore_name": "mnist",
    "datastore_version": 1,
    "datastore_mount_dir": "/datastores/mnist",
    "actions": {
        "on_build_start": ["apt-get install -y ffmpeg"],
        "on_experiment_start": ["echo start"],
    },
    "scratch": {"size_gb": 200},
}
HYPER = {
    "settings": {"strategy": "random_search", "num_trials": 10},
    "params": {"--learning_rate": "uniform(1e-5, 1e-1, 20)"},
}
CLUSTER_LINE = "    cluster: prod-use1       # the cluster id; the only key read under provider; beats --cluster and the context\n"
SCRATCH_LINE = "    scratch: {size_gb: 200}  # exactly one key\n"
PARAMS_LINE = '  params: {--learning_rate: "uniform(1e-5, 1e-1, 20)"}\n'
NO_PROVIDER = REFERENCE.replace("  provider:\n" + CLUSTER_LINE, "")
NO_COMPUTE = REFERENCE[REFERENCE.index("hyper_params:") :]
ENV_ANCHORS = """\
compute:
  provider:
    cluster: old   # prod
  train:
    environment: &env {MY_VAR: "1", TZ: UTC}
    actions: &acts
      on_build_start: [echo a]
session:
  environment: *env
  actions: *acts
"""
ENV_DOC = {
    "compute": {
        "provider": {"cluster": "new"},
        "train": {
            "environment": {"MY_VAR": "1", "TZ": "UTC"},
            "actions": {"on_build_start": ["echo a"]},
        },
    },
    "session": {
        "environment": {"MY_VAR": "1", "TZ": "UTC"},
        "actions": {"on_build_start": ["echo a"]},
    },
}


def doc(cluster: str, **rest: Any) -> dict[str, Any]:
    """{"compute": {"provider": {"cluster": cluster}}} plus top-level `rest`."""
    return {"compute": {"provider": {"cluster": cluster}}, **rest}


def splice(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"fragment {old!r} must occur once"
    return text.replace(old, new)


@dataclass(frozen=True)
class Case:
    id: str
    before: str
    after: str
    doc: Any  # yaml.safe_load(after) must equal this
    old: str  # the fragment of `before` that changes (unique in it) ...
    new: str  # ... and what `after` has in its place; everything else is identical
    value: str = "new"


def case(id: str, before: str, after: str, doc: Any, old: str, new: str, value: str = "new") -> Any:
    return pytest.param(Case(id, before, after, doc, old, new, value), id=id)


# fmt: off
SUCCESSES = [
    # --- the reference run config
    case(
        "reference-replace",
        REFERENCE,
        splice(REFERENCE, "cluster: prod-use1 ", "cluster: staging-euw1 "),
        {"compute": {"provider": {"cluster": "staging-euw1"}, "train": TRAIN}, "hyper_params": HYPER},
        "prod-use1",
        "staging-euw1",
        value="staging-euw1",
    ),
    case(
        "reference-insert-provider-after-train",
        NO_PROVIDER,
        splice(NO_PROVIDER, SCRATCH_LINE, SCRATCH_LINE + "  provider:\n    cluster: new\n"),
        {"compute": {"train": TRAIN, "provider": {"cluster": "new"}}, "hyper_params": HYPER},
        SCRATCH_LINE,
        SCRATCH_LINE + "  provider:\n    cluster: new\n",
    ),
    case(
        "reference-insert-compute-at-end",
        NO_COMPUTE,
        NO_COMPUTE + "compute:\n  provider:\n    cluster: new\n",
        {"hyper_params": HYPER, **doc("new")},
        PARAMS_LINE,
        PARAMS_LINE + "compute:\n  provider:\n    cluster: new\n",
    ),
    case(
        "anchors-and-aliases-elsewhere",
        ENV_ANCHORS,
        ENV_ANCHORS.replace("cluster: old   # prod", "cluster: new   # prod"),
        ENV_DOC,
        "old",
        "new",
    ),
    # --- styles of the existing value
    case("plain", "compute:\n  provider:\n    cluster: old\n", "compute:\n  provider:\n    cluster: new\n", doc("new"), "old", "new"),
    case("single-quoted", "compute:\n  provider:\n    cluster: 'old'\n", "compute:\n  provider:\n    cluster: 'new'\n", doc("new"), "'old'", "'new'"),
    case("double-quoted", 'compute:\n  provider:\n    cluster: "old"\n', 'compute:\n  provider:\n    cluster: "new"\n', doc("new"), '"old"', '"new"'),
    case("single-quote-escape", "compute:\n  provider:\n    cluster: 'old'\n", "compute:\n  provider:\n    cluster: 'it''s'\n", doc("it's"), "'old'", "'it''s'", value="it's"),
    case("double-quote-escape", 'compute:\n  provider:\n    cluster: "old"\n', 'compute:\n  provider:\n    cluster: "a\\"b\\\\c\\td"\n', doc('a"b\\c\td'), '"old"', '"a\\"b\\\\c\\td"', value='a"b\\c\td'),
    case("plain-to-single-when-needed", "compute:\n  provider:\n    cluster: old\n", "compute:\n  provider:\n    cluster: 'a: b'\n", doc("a: b"), "old", "'a: b'", value="a: b"),
    case("plain-to-double-for-newline", "compute:\n  provider:\n    cluster: old\n", 'compute:\n  provider:\n    cluster: "a\\nb"\n', doc("a\nb"), "old", '"a\\nb"', value="a\nb"),
    case("anchor-kept", "compute:\n  provider:\n    cluster: &c old\n", "compute:\n  provider:\n    cluster: &c new\n", doc("new"), "old", "new"),
    case("tag-kept", "compute:\n  provider:\n    cluster: !!str old\n", "compute:\n  provider:\n    cluster: !!str new\n", doc("new"), "old", "new"),
    case("trailing-comment-tabs", "compute:\n  provider:\n    cluster: old  #\tprod\tcluster\t\n", "compute:\n  provider:\n    cluster: new  #\tprod\tcluster\t\n", doc("new"), "old", "new"),
    case("int-becomes-quoted-string", "compute:\n  provider:\n    cluster: 123\n", "compute:\n  provider:\n    cluster: '123'\n", doc("123"), "123", "'123'", value="123"),
    # --- non-ASCII before the value: in comments, in values, on the same line
    case(
        "non-ascii-comments-and-values",
        "# ré-glage 😀\ncompute:  # é\n  provider: {name: \"é😀\", cluster: 'é😀x'}  # 😀\n  x: é😀\n",
        "# ré-glage 😀\ncompute:  # é\n  provider: {name: \"é😀\", cluster: 'new'}  # 😀\n  x: é😀\n",
        {"compute": {"provider": {"name": "é😀", "cluster": "new"}, "x": "é😀"}},
        "'é😀x'",
        "'new'",
    ),
    case(
        "non-ascii-old-value-plain",
        "compute:\n  provider:\n    cluster: é😀  # é😀 ré\n  y: 😀\n",
        "compute:\n  provider:\n    cluster: new  # é😀 ré\n  y: 😀\n",
        {"compute": {"provider": {"cluster": "new"}, "y": "😀"}},
        "cluster: é😀 ",
        "cluster: new ",
    ),
    # --- flow style at each level
    case("flow-root", "{compute: {provider: {cluster: old}}}\n", "{compute: {provider: {cluster: new}}}\n", doc("new"), "old", "new"),
    case("flow-root-insert", "{a: 1}\n", "{a: 1, compute: {provider: {cluster: new}}}\n", {"a": 1, **doc("new")}, "1}", "1, compute: {provider: {cluster: new}}}"),
    case("flow-empty-root", "{}\n", "{compute: {provider: {cluster: new}}}\n", doc("new"), "{}", "{compute: {provider: {cluster: new}}}"),
    case("flow-compute-empty", "compute: {}\n", "compute: {provider: {cluster: new}}\n", doc("new"), "{}", "{provider: {cluster: new}}"),
    case("flow-provider-empty", "compute: {provider: {}}\n", "compute: {provider: {cluster: new}}\n", doc("new"), "{}}", "{cluster: new}}"),
    case("flow-provider-append", "compute:\n  provider: {a: 1}\n", "compute:\n  provider: {a: 1, cluster: new}\n", {"compute": {"provider": {"a": 1, "cluster": "new"}}}, "{a: 1}", "{a: 1, cluster: new}"),
    case("flow-trailing-comma", "compute:\n  provider: {a: 1,}\n", "compute:\n  provider: {a: 1, cluster: new,}\n", {"compute": {"provider": {"a": 1, "cluster": "new"}}}, "1,}", "1, cluster: new,}"),
    case(
        "flow-multiline-with-comment",
        "compute:\n  provider: {\n    a: 1  # c\n  }\n",
        "compute:\n  provider: {\n    a: 1, cluster: new  # c\n  }\n",
        {"compute": {"provider": {"a": 1, "cluster": "new"}}},
        "1  # c",
        "1, cluster: new  # c",
    ),
    case("flow-key-without-colon", "compute:\n  provider: {cluster}\n", "compute:\n  provider: {cluster: new}\n", doc("new"), "{cluster}", "{cluster: new}"),
    case("flow-empty-value", "compute: {provider: {cluster: }}\n", "compute: {provider: {cluster: new }}\n", doc("new"), ": }", ": new }"),
    case("flow-value-quoted", "compute: {provider: {cluster: \"old\"}}\n", "compute: {provider: {cluster: \"new\"}}\n", doc("new"), '"old"', '"new"'),
    # --- null or empty values on the path
    case("empty-value", "compute:\n  provider:\n    cluster:\n", "compute:\n  provider:\n    cluster: new\n", doc("new"), "cluster:\n", "cluster: new\n"),
    case("empty-value-comment", "compute:\n  provider:\n    cluster:   # id\n", "compute:\n  provider:\n    cluster: new   # id\n", doc("new"), "cluster:   #", "cluster: new   #"),
    case("tilde-value", "compute:\n  provider:\n    cluster: ~\n", "compute:\n  provider:\n    cluster: new\n", doc("new"), "~", "new"),
    case("null-parent-empty", "compute:\n  provider:\n", "compute:\n  provider:\n    cluster: new\n", doc("new"), "provider:\n", "provider:\n    cluster: new\n"),
    case(
        "null-parent-empty-before-sibling",
        "compute:\n  provider:   # which cluster\n  train: {cpus: 1}\n",
        "compute:\n  provider:   # which cluster\n    cluster: new\n  train: {cpus: 1}\n",
        {"compute": {"provider": {"cluster": "new"}, "train": {"cpus": 1}}},
        "cluster\n",
        "cluster\n    cluster: new\n",
    ),
    case("null-parent-tilde", "compute:\n  provider: ~  # c\n", "compute:\n  provider: {cluster: new}  # c\n", doc("new"), "~", "{cluster: new}"),
    case("null-parent-null", "compute:\n  provider: null\n", "compute:\n  provider: {cluster: new}\n", doc("new"), "null", "{cluster: new}"),
    case("null-compute", "compute:\nx: 1\n", "compute:\n  provider:\n    cluster: new\nx: 1\n", {**doc("new"), "x": 1}, "compute:\n", "compute:\n  provider:\n    cluster: new\n"),
    case("null-parent-in-flow", "compute: {provider: }\n", "compute: {provider: {cluster: new} }\n", doc("new"), ": }", ": {cluster: new} }"),
    # --- where missing keys go in block mappings
    case(
        "insert-after-inner-comments-before-outer",
        "compute:\n  train:\n    cpus: 1\n    # gpus: 1\n\n  # end of compute\n\n# hyper parameters\nhyper_params: {}\n",
        "compute:\n  train:\n    cpus: 1\n    # gpus: 1\n\n  # end of compute\n  provider:\n    cluster: new\n\n# hyper parameters\nhyper_params: {}\n",
        {"compute": {"train": {"cpus": 1}, "provider": {"cluster": "new"}}, "hyper_params": {}},
        "  # end of compute\n",
        "  # end of compute\n  provider:\n    cluster: new\n",
    ),
    case(
        "insert-before-blank-and-outer-comment",
        "compute:\n  train: {cpus: 1}\n\n# next\nx: 1\n",
        "compute:\n  train: {cpus: 1}\n  provider:\n    cluster: new\n\n# next\nx: 1\n",
        {"compute": {"train": {"cpus": 1}, "provider": {"cluster": "new"}}, "x": 1},
        "1}\n",
        "1}\n  provider:\n    cluster: new\n",
    ),
    case(
        "insert-after-alias-value",
        "e: &e {A: 1}\ncompute:\n  env: *e\nz: 2\n",
        "e: &e {A: 1}\ncompute:\n  env: *e\n  provider:\n    cluster: new\nz: 2\n",
        {"e": {"A": 1}, "compute": {"env": {"A": 1}, "provider": {"cluster": "new"}}, "z": 2},
        "*e\n",
        "*e\n  provider:\n    cluster: new\n",
    ),
    case(
        "insert-after-block-scalar-keep",
        "compute:\n  script: |+\n    echo\n\nz: 2\n",
        "compute:\n  script: |+\n    echo\n\n  provider:\n    cluster: new\nz: 2\n",
        {"compute": {"script": "echo\n\n", "provider": {"cluster": "new"}}, "z": 2},
        "\n\nz",
        "\n\n  provider:\n    cluster: new\nz",
    ),
    case(
        "insert-into-provider-with-other-keys",
        "compute:\n  provider:\n    vendor: aws  # old docs\n  train: {}\n",
        "compute:\n  provider:\n    vendor: aws  # old docs\n    cluster: new\n  train: {}\n",
        {"compute": {"provider": {"vendor": "aws", "cluster": "new"}, "train": {}}},
        "docs\n",
        "docs\n    cluster: new\n",
    ),
    case(
        "indent-step-four-detected",
        "hyper_params:\n    settings: {a: 1}\n",
        "hyper_params:\n    settings: {a: 1}\ncompute:\n    provider:\n        cluster: new\n",
        {"hyper_params": {"settings": {"a": 1}}, **doc("new")},
        "1}\n",
        "1}\ncompute:\n    provider:\n        cluster: new\n",
    ),
    case(
        "merge-elsewhere-in-mapping",
        "base: &b {cpus: 1}\ncompute:\n  <<: *b\n  train: {}\n",
        "base: &b {cpus: 1}\ncompute:\n  <<: *b\n  train: {}\n  provider:\n    cluster: new\n",
        {"base": {"cpus": 1}, "compute": {"cpus": 1, "train": {}, "provider": {"cluster": "new"}}},
        "train: {}\n",
        "train: {}\n  provider:\n    cluster: new\n",
    ),
    case(
        "document-markers",
        "%YAML 1.1\n---\ncompute: {}\n...\n",
        "%YAML 1.1\n---\ncompute: {provider: {cluster: new}}\n...\n",
        doc("new"),
        "{}",
        "{provider: {cluster: new}}",
    ),
    # --- line endings, final newline, BOM
    case(
        "crlf-replace",
        "# c\r\ncompute:\r\n  provider:\r\n    cluster: old\r\n",
        "# c\r\ncompute:\r\n  provider:\r\n    cluster: new\r\n",
        doc("new"),
        "old",
        "new",
    ),
    case(
        "crlf-insert",
        "compute:\r\n  train:\r\n    cpus: 1\r\n  # c\r\n\r\nx: 1\r\n",
        "compute:\r\n  train:\r\n    cpus: 1\r\n  # c\r\n  provider:\r\n    cluster: new\r\n\r\nx: 1\r\n",
        {"compute": {"train": {"cpus": 1}, "provider": {"cluster": "new"}}, "x": 1},
        "# c\r\n",
        "# c\r\n  provider:\r\n    cluster: new\r\n",
    ),
    case("crlf-null-parent", "compute:\r\n  provider:\r\n", "compute:\r\n  provider:\r\n    cluster: new\r\n", doc("new"), "provider:\r\n", "provider:\r\n    cluster: new\r\n"),
    case("crlf-no-final-newline", "x: 1\r\ny: 2", "x: 1\r\ny: 2\r\ncompute:\r\n  provider:\r\n    cluster: new\r\n", {"x": 1, "y": 2, **doc("new")}, "y: 2", "y: 2\r\ncompute:\r\n  provider:\r\n    cluster: new\r\n"),
    case("no-final-newline-insert", "compute:\n  train: {}", "compute:\n  train: {}\n  provider:\n    cluster: new\n", {"compute": {"train": {}, "provider": {"cluster": "new"}}}, "{}", "{}\n  provider:\n    cluster: new\n"),
    case("no-final-newline-replace", "compute:\n  provider:\n    cluster: old", "compute:\n  provider:\n    cluster: new", doc("new"), "old", "new"),
    case("no-final-newline-comment", "compute:\n  train: {}\n  # last", "compute:\n  train: {}\n  # last\n  provider:\n    cluster: new\n", {"compute": {"train": {}, "provider": {"cluster": "new"}}}, "# last", "# last\n  provider:\n    cluster: new\n"),
    case("bom-replace", "\ufeffcompute:\n  provider:\n    cluster: old  # é\n", "\ufeffcompute:\n  provider:\n    cluster: new  # é\n", doc("new"), "old", "new"),
    case("bom-insert-first-line", "\ufeffcompute: {}\n", "\ufeffcompute: {provider: {cluster: new}}\n", doc("new"), "{}", "{provider: {cluster: new}}"),
    case("root-insert-after-final-comments", "x: 1\n\n# end\n", "x: 1\n\n# end\ncompute:\n  provider:\n    cluster: new\n", {"x": 1, **doc("new")}, "# end\n", "# end\ncompute:\n  provider:\n    cluster: new\n"),
    case("root-insert-before-document-end", "--- # c\nx: 1\n...\n# after\n", "--- # c\nx: 1\ncompute:\n  provider:\n    cluster: new\n...\n# after\n", {"x": 1, **doc("new")}, "1\n", "1\ncompute:\n  provider:\n    cluster: new\n"),
    case("bom-crlf-insert", "\ufeffa: 1\r\n", "\ufeffa: 1\r\ncompute:\r\n  provider:\r\n    cluster: new\r\n", {"a": 1, **doc("new")}, "1\r\n", "1\r\ncompute:\r\n  provider:\r\n    cluster: new\r\n"),
]


# fmt: on


def _check(c: Case) -> str:
    result = set_scalar(c.before, P, c.value)
    assert result == c.after  # (1) the exact text
    at = c.before.index(c.old)  # (2) nothing changed outside the expected fragment
    assert c.before.count(c.old) == 1
    assert result[:at] == c.before[:at]
    assert result[at : at + len(c.new)] == c.new
    assert result[at + len(c.new) :] == c.before[at + len(c.old) :]
    assert yaml.safe_load(result) == c.doc  # (3) the whole loaded document
    return result


@pytest.mark.parametrize("c", SUCCESSES)
def test_set_scalar(c: Case) -> None:
    result = _check(c)
    assert get_scalar(result, P)[0] == c.value
    assert set_scalar(result, P, c.value) is result  # idempotent: the same text back


@pytest.mark.parametrize("c", [p.values[0] for p in SUCCESSES if "\r\n" in p.values[0].before])
def test_crlf_files_stay_crlf(c: Case) -> None:
    result = set_scalar(c.before, P, c.value)
    assert "\n" not in result.replace("\r\n", "")
    assert "\r" not in result.replace("\r\n", "")


def test_other_documents_unchanged_on_reference() -> None:
    """Against the parsed original rather than a literal: only the cluster differs."""
    before = yaml.safe_load(REFERENCE)
    after = yaml.safe_load(set_scalar(REFERENCE, P, "x-1"))
    expected = copy.deepcopy(before)
    expected["compute"]["provider"]["cluster"] = "x-1"
    assert after == expected


def test_same_value_returns_identical_text() -> None:
    for text in [
        REFERENCE,
        "compute: {provider: {cluster: 'prod-use1'}}\r\n",
        '\ufeffcompute:\n  provider:\n    cluster: "prod-use1"  # x',
    ]:
        assert set_scalar(text, P, "prod-use1") is text


# fmt: off
NEEDS_QUOTES = [
    "123", "true", "True", "null", "1e3", "0x1f", "~", "yes", "No", "on", "OFF", "y", "0o17",
    "1_000", "2022-01-01", "1.5", ".inf", "-1", "", " a", "-a", "a b", "#x", "@x", "[x]",
]
# fmt: on


@pytest.mark.parametrize("value", NEEDS_QUOTES)
@pytest.mark.parametrize("style", ["plain", "single", "double"])
def test_values_needing_quotes_load_as_strings(value: str, style: str) -> None:
    old = {"plain": "old", "single": "'old'", "double": '"old"'}[style]
    before = f"compute:\n  provider:\n    cluster: {old}  # c\n  train: {{cpus: 1}}\n"
    after = set_scalar(before, P, value)
    quote = '"' if style == "double" else "'"
    assert after == before.replace(old, f"{quote}{value}{quote}")
    assert yaml.safe_load(after) == {
        "compute": {"provider": {"cluster": value}, "train": {"cpus": 1}}
    }
    assert yaml.load(after, Loader=yaml.CSafeLoader) == yaml.safe_load(after)


@pytest.mark.parametrize("value", ["prod-use1", "a", "0-abc", "my-cluster-12", "abc-123-def"])
def test_cluster_ids_stay_plain(value: str) -> None:
    before = "compute:\n  provider:\n    cluster: old\n"
    assert set_scalar(before, P, value) == f"compute:\n  provider:\n    cluster: {value}\n"


@pytest.mark.parametrize("value", ["123", "yes", "1e3", "0x1f"])
def test_inserted_values_are_quoted_when_needed(value: str) -> None:
    for before in ["compute: {}\n", "compute:\n  train: {}\n", "compute:\n  provider:\n"]:
        after = set_scalar(before, P, value)
        assert f"cluster: '{value}'" in after
        assert yaml.safe_load(after)["compute"]["provider"]["cluster"] == value


def test_other_path_and_quoted_keys() -> None:
    before = "a:\n  'b c': {}\n"
    after = set_scalar(before, ("a", "b c", "x y"), "v")
    assert after == "a:\n  'b c': {'x y': v}\n"
    assert set_scalar("a: 1\n", ("a",), "2") == "a: '2'\n"
    with pytest.raises(ValueError, match="path"):
        set_scalar("a: 1\n", (), "v")


# ---------------------------------------------------------------------------- refusals

# fmt: off
REFUSALS = [
    ("alias-value", "x: &c prod\ncompute:\n  provider:\n    cluster: *c\n", 4, 14, "alias (*c)"),
    ("anchored-and-reused", "compute:\n  provider:\n    cluster: &c prod\nother: *c\n", 3, 14, "reused elsewhere"),
    ("alias-parent", "p: &p {cluster: a}\ncompute:\n  provider: *p\n", 3, 13, "alias (*p)"),
    ("aliased-parent-reused", "compute:\n  provider: &p {cluster: a}\nother: *p\n", 2, 13, "reused elsewhere"),
    ("parent-is-list", "compute:\n  provider: [a]\n", 2, 13, "compute.provider is a list, not a mapping"),
    ("parent-is-number", "x: 1\ncompute: 3\n", 2, 10, "compute is the value '3', not a mapping"),
    ("parent-is-string", "compute:\n  provider: aws\n", 2, 13, "not a mapping"),
    ("merge-only", "base: &b\n  provider: {cluster: a}\ncompute:\n  <<: *b\n  train: {}\n", 4, 3, "must set 'provider' explicitly"),
    ("merge-only-list", "a: &a {x: 1}\nb: &b {provider: {cluster: a}}\ncompute: {<<: [*a, *b]}\n", 3, 11, "merge key"),
    ("block-literal", "compute:\n  provider:\n    cluster: |\n      prod\n", 3, 14, "block scalar ('|')"),
    ("block-folded", "compute:\n  provider:\n    cluster: >-\n      prod\n", 3, 14, "block scalar ('>')"),
    ("multi-line-plain", "compute:\n  provider:\n    cluster: prod\n      use1\n", 3, 14, "several lines"),
    ("multi-line-quoted", 'compute:\n  provider:\n    cluster: "prod\n      use1"\n', 3, 14, "several lines"),
    ("value-is-mapping", "compute:\n  provider:\n    cluster: {id: a}\n", 3, 14, "is a mapping, not a single value"),
    ("value-is-list", "compute:\n  provider:\n    cluster:\n      - a\n", 4, 7, "is a list, not a single value"),
    ("several-documents", "compute: {}\n---\ncompute: {}\n", 2, 1, "several YAML documents"),
    ("empty-second-document", "# c\ncompute: {}\n---\n", 3, 1, "several YAML documents"),
    ("document-is-list", "# runs\n- compute: {}\n", 2, 1, "is a list, not a mapping"),
    ("document-is-scalar", "hello\n", 1, 1, "is a single value, not a mapping"),
    ("empty-document", "", 1, 1, "empty or holds only comments"),
    ("comments-only", "# compute:\n#   provider: {}\n", 1, 1, "empty or holds only comments"),
    ("blank-document", "---\n", 1, 1, "empty or holds only comments"),
    ("syntax-error", "compute:\n  provider: {cluster: a\n", 3, 1, "not valid YAML"),
    ("bad-indentation", "compute:\n  provider:\n    cluster: a\n   x: 1\n", 4, 4, "not valid YAML"),
    ("tab-indentation", "compute:\n\tprovider: {}\n", 2, 1, "not valid YAML"),
    ("control-char-after-non-ascii", "# é😀\ncompute: 'é😀\x01'\n", 2, 13, "U+0001"),
    ("duplicate-compute", "compute: {}\nx: 1\ncompute: {}\n", 3, 1, "duplicate key compute (first at line 1)"),
    ("duplicate-provider", "compute:\n  provider: {}\n  provider: {}\n", 3, 3, "duplicate key compute.provider"),
    ("duplicate-cluster", "compute:\n  provider:\n    cluster: a\n    cluster: b\n", 4, 5, "duplicate key compute.provider.cluster"),
    ("duplicate-flow", "compute: {provider: {cluster: a, cluster: b}}\n", 1, 34, "duplicate key"),
    ("tagged-int", "compute:\n  provider:\n    cluster: !!int 5\n", 3, 14, "tag !!int"),
    ("tagged-null-parent", "compute:\n  provider: !!null\n", 2, 13, "tag !!null"),
    ("tab-before-comment", "compute:\n  provider:\n    cluster: a\t# prod\n", 3, 15, "Grid reads run configs with a safe YAML loader"),
    ("unsafe-tag", "compute:\n  provider:\n    cluster: !!python/name:os.system\n", 3, 14, "safe YAML loader"),
]


# fmt: on


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"), [pytest.param(*r[1:], id=r[0]) for r in REFUSALS]
)
def test_refusals(text: str, line: int, col: int, fragment: str) -> None:
    with pytest.raises(EditError) as info:
        set_scalar(text, P, "new")
    assert fragment in str(info.value)
    assert (info.value.line, info.value.col) == (line, col)
    assert isinstance(info.value, GridsyncError)


def test_refusal_positions_ignore_bom_and_count_code_points() -> None:
    with pytest.raises(EditError) as info:
        set_scalar("\ufeffcompute: {x: 'é😀', provider: [a]}\n", P, "new")
    assert (info.value.line, info.value.col) == (1, 30)


# ---------------------------------------------------------------------------- get_scalar

READS = [
    ("reference", REFERENCE, ("prod-use1", 3, 14)),
    ("after-non-ascii-same-line", "compute: {provider: {x: 'é😀', cluster: v}}\n", ("v", 1, 40)),
    ("bom-first-line", "\ufeffcompute: {provider: {cluster: v}}\n", ("v", 1, 31)),
    ("crlf", "a: 1\r\ncompute:\r\n  provider:\r\n    cluster: 'v'\r\n", ("v", 4, 14)),
    ("anchor-before-value", "compute:\n  provider:\n    cluster: &c v\n", ("v", 3, 17)),
    ("alias-value", "x: &c v\ncompute:\n  provider:\n    cluster: *c\n", ("v", 4, 14)),
    ("through-merge", "b: &b\n  provider: {cluster: v}\ncompute:\n  <<: *b\n", ("v", 2, 23)),
    ("number-as-string", "compute: {provider: {cluster: 123}}\n", ("123", 1, 31)),
    ("missing-cluster", "compute:\n  provider:\n    x: 1\n", (None, 2, 3)),
    ("null-provider", "compute:\n  provider: ~\n", (None, 2, 3)),
    ("null-cluster", "compute:\n  provider:\n    cluster:\n", (None, 3, 5)),
    ("missing-provider", "x: 1\ncompute:\n  train: {}\n", (None, 2, 1)),
    ("missing-compute", "x: 1\n", (None, 1, 1)),
    ("empty", "", (None, 1, 1)),
    ("comments-only", "# nothing\n", (None, 1, 1)),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(r[1], r[2], id=r[0]) for r in READS])
def test_get_scalar(text: str, expected: tuple[str | None, int, int]) -> None:
    assert get_scalar(text, P) == expected


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("a: 1\n---\nb: 2\n", 2, 1),
        ("compute: [a]\n", 1, 10),
        ("compute:\n  provider:\n    cluster: {a: 1}\n", 3, 14),
        ("compute: {provider: {}, provider: {}}\n", 1, 25),
        ("- a\n", 1, 1),
        ("a: [\n", 2, 1),
    ],
)
def test_get_scalar_refusals(text: str, line: int, col: int) -> None:
    with pytest.raises(EditError) as info:
        get_scalar(text, P)
    assert (info.value.line, info.value.col) == (line, col)


def test_libyaml_marks_count_code_points_not_bytes() -> None:
    """What the module relies on: columns are code points; a leading BOM is not counted."""
    node = yaml.compose("\ufeffa: [é😀, x]\n", Loader=yaml.CSafeLoader)
    assert isinstance(node, yaml.MappingNode)
    item = node.value[0][1].value[1]
    assert (item.start_mark.line, item.start_mark.column) == (0, 8)


def test_an_edit_that_would_load_differently_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The safety net: were the rendering wrong, the edit is refused instead of returned."""
    monkeypatch.setattr(yamlsplice, "_render", lambda value, style: value)  # no quoting at all
    with pytest.raises(EditError, match="internal error"):
        set_scalar("compute:\n  provider:\n    cluster: old\n", P, "yes")


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("a\u2028b", '"a\\u2028b"'),
        ("\x85x", '"\\x85x"'),
        ("nul\x00", '"nul\\0"'),
        ("é😀", '"é😀"'),
        ("\U000e0001", '"\\U000e0001"'),
    ],
)
def test_double_quote_escapes(value: str, written: str) -> None:
    before = 'compute:\n  provider:\n    cluster: "old"  # c\n'
    after = set_scalar(before, P, value)
    assert after == before.replace('"old"', written)
    assert yaml.safe_load(after) == doc(value)


# ---------------------------------------------------------------------------- libyaml in place of safe_load

RUN_CONFIG = (
    "# grid run --config r.yaml train.py\ncompute:\n  provider:\n    cluster: old-1  # c\n"
    '  train:\n    instance: t3.large\n    environment: {A: "1", B: "x y"}\n'
    '    actions:\n      on_build_start: ["apt-get install -y ffmpeg"]\n'
    'hyper_params:\n  settings: {strategy: grid_search, strategy_options: {num_trials: "3"}}\n'
    '  params:\n    --lr: "uniform(1e-5, 1e-1, 20)"\n    --batch_size: "[32, 64]"\n'
)
_PIECES = [":", " ", "\n", "- ", "{", "}", "[", "]", ",", "#", "'", '"', "---\n", "...", "\r\n",
           "\r", "é", "~", "<<: ", "  ", "-", "x: ", "\n  ", "\n    a: ", "''", "0", ".", "|",
           "\t", "!", "&a ", "*a", "%", "?", "@", "\\", "\ufeff", "\x85", ">", "`", "'\n", ""]  # fmt: skip


def _mutants(count: int) -> list[str]:
    """Run configs with a few random characters inserted or replaced (deterministic)."""
    return mutants(RUN_CONFIG, _PIECES, count, seed=15)


def _outcome(text: str, loader: Any) -> tuple[str, str]:
    try:
        return "loaded", repr(yaml.load(text, Loader=loader))  # noqa: S506 - safe loaders only
    except yaml.YAMLError:
        return "refused", ""


def test_libyaml_loads_what_safe_load_loads_where_the_parsers_agree() -> None:
    """Why the edit checks may use libyaml: on a text without PARSERS_MAY_DIFFER, whatever the pure
    parser refuses libyaml refuses too, and what both load is equal. (Where libyaml alone refuses,
    set_scalar's own libyaml parse refuses first, as before.)"""
    agree = disagree = 0
    for text in _mutants(1500):
        pure, fast = _outcome(text, yaml.SafeLoader), _outcome(text, yaml.CSafeLoader)
        if yamlparse.may_differ(text.removeprefix("\ufeff")):
            disagree += pure != fast
            continue
        agree += 1
        assert pure == fast or (pure[0], fast[0]) == ("loaded", "refused"), text
    assert agree > 500 and disagree > 0  # both kinds were generated; the guard is needed


def test_load_as_grid_answers_as_safe_load_on_every_text() -> None:
    for text in [*_mutants(400), "a: b\t# c\n", "a: |#\n", "x: 1\n\ufeffy: 2\n"]:
        expected: tuple[str, Any]
        try:
            expected = ("loaded", yaml.safe_load(text))
        except yaml.YAMLError:
            expected = ("refused", None)
        try:
            got: tuple[str, Any] = ("loaded", yamlparse.load_as_grid(text, "why"))
        except EditError:
            got = ("refused", None)
        if expected[0] == "loaded" and got[0] == "refused":
            with pytest.raises(EditError):  # only where libyaml refuses: set_scalar refuses first
                yamlparse.parse(text)
            continue
        assert repr(got) == repr(expected), text


@pytest.mark.parametrize("text", [RUN_CONFIG, RUN_CONFIG.replace('"x y"', '"x\ty"')])
@pytest.mark.parametrize(
    "damage",
    [
        lambda t: t.replace("t3.large", "t3.larg"),  # another value changed
        lambda t: t.replace("    instance", "  instance"),  # a key moved to another mapping
        lambda t: t.replace('"1"', "1"),  # a string became a number
        lambda t: t.replace("grid_search,", "grid_search, x: 1,"),  # a key added
    ],
)
def test_the_check_catches_an_edit_that_changes_more_than_the_value(
    monkeypatch: pytest.MonkeyPatch, text: str, damage: Any
) -> None:
    """What _verify exists for, on the libyaml path (no tab) and the pure-Python one (a tab)."""
    assert set_scalar(text, P, "new-1") == text.replace("old-1", "new-1")  # undamaged: fine
    monkeypatch.setattr(yamledit, "plan_splice", _damaging(damage))
    with pytest.raises(EditError, match="internal error"):
        set_scalar(text, P, "new-1")


def _damaging(damage: Any) -> Any:
    def splice(src: Any, walk: Any, path: Any, value: str) -> tuple[int, int, str]:
        body = damage(src.body)
        at = body.index("old-1")
        return 0, len(src.body), body[:at] + value + body[at + len("old-1") :]

    return splice
