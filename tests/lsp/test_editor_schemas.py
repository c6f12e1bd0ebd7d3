"""The schemas as an editor uses them: yaml-language-server (what VS Code's YAML extension, Neovim
and Helix run) reads a cluster file whose modeline names schemas/cluster.schema.json, as README
"Editors" documents. One server for the module; each test opens its own document."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsp.client import LspClient

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
CLUSTER_SCHEMA = SCHEMAS / "cluster.schema.json"
BODY = """\
apiVersion: gridsync/v1
kind: Cluster
name: ml-research-use1
provider: aws
region: us-east-1
role_arn: arn:aws:iam::123456789012:role/grid-ml-research
external_id: ${env:ML_RESEARCH_EXTERNAL_ID}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LspClient, Path]]:
    root = tmp_path_factory.mktemp("editor")
    client = LspClient(root)
    yield client, root
    client.close()


def _open(
    server: tuple[LspClient, Path], name: str, body: str, *, relative: bool = False
) -> tuple[str, str]:
    client, root = server
    path = root / "clusters" / name
    schema = os.path.relpath(CLUSTER_SCHEMA, path.parent) if relative else CLUSTER_SCHEMA.as_uri()
    text = f"# yaml-language-server: $schema={schema}\n{body}"
    return client.open(path, text), text


def test_a_valid_cluster_file_has_no_diagnostics(server: tuple[LspClient, Path]) -> None:
    uri, _ = _open(server, "valid.yaml", BODY + "instance_types: [g4dn.xlarge]\n")
    assert server[0].diagnostics(uri) == []


def test_completion_offers_the_keys_the_schema_declares_and_the_file_lacks(
    server: tuple[LspClient, Path],
) -> None:
    uri, text = _open(server, "complete.yaml", BODY + "\n")
    server[0].diagnostics(uri)  # the document is parsed and its schema loaded
    line = text.count("\n") - 1  # the empty last line, where a new key goes
    offered = server[0].completion_labels(uri, line, 0)
    declared = set(json.loads(CLUSTER_SCHEMA.read_text())["properties"])
    written = {line.split(":")[0] for line in BODY.splitlines()}
    assert offered == declared - written
    assert {"instance_types", "protect", "context", "infrastructure"} <= offered


@pytest.mark.parametrize("relative", [False, True], ids=["file-uri", "relative-path"])
def test_a_misspelt_key_is_a_diagnostic_at_its_line(
    server: tuple[LspClient, Path], relative: bool
) -> None:
    name = f"typo-{relative}.yaml"
    uri, text = _open(server, name, BODY + "instance_type: [g4dn.xlarge]\n", relative=relative)
    (diagnostic,) = server[0].diagnostics(uri)
    assert diagnostic["range"]["start"]["line"] == text.splitlines().index(
        "instance_type: [g4dn.xlarge]"
    )
    assert "instance_type" in diagnostic["message"]
    assert diagnostic["severity"] == 1  # an error
    assert diagnostic["source"] == "yaml-schema: gridsync Cluster"


def test_hover_shows_a_keys_description_from_the_schema(server: tuple[LspClient, Path]) -> None:
    uri, text = _open(server, "hover.yaml", BODY + "protect: true\n")
    server[0].diagnostics(uri)
    line = text.splitlines().index("protect: true")
    described = json.loads(CLUSTER_SCHEMA.read_text())["properties"]["protect"]["description"]
    assert described in server[0].hover_text(uri, line, 2)
