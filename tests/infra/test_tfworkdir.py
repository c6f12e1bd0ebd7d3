"""Which modules keep their Terraform state somewhere other than the work dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridsync.infra.tfworkdir import declares_backend


@pytest.mark.parametrize(
    ("files", "declared"),
    [
        ({"main.tf": 'output "o" { value = 1 }\n'}, False),
        ({"main.tf": 'terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n}\n'}, True),
        ({"versions.tf": 'terraform {\n  backend "local" { path = "/state/x" }\n}\n'}, True),
        ({"main.tf": 'terraform {\n  cloud {\n    organization = "o"\n  }\n}\n'}, True),
        ({"main.tf": '# backend "s3" {\n// backend "gcs" {\noutput "o" { value = 1 }\n'}, False),
        ({"main.tf.json": json.dumps({"terraform": {"backend": {"s3": {}}}})}, True),
        ({"main.tf.json": json.dumps({"terraform": [{"required_version": ">= 1.0"}]})}, False),
        ({"main.tf.json": "{not json"}, False),
        ({"nested/main.tf": 'terraform {\n  backend "s3" {}\n}\n'}, False),  # not the root module
    ],
)
def test_declares_backend(tmp_path: Path, files: dict[str, str], declared: bool) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert declares_backend(tmp_path) is declared
