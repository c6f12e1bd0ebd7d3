"""Hostile repositories: what a pull request's author controls (every file, file name, key and
value), with planted secrets in the environment as a CI plan job has them.

To add a case, append a `Case` to CASES: the files of the repository (path -> text; paths may
hold any character a file name can), extra environment, and the exit codes expected from
`validate`, `plan` and `apply`. `{NAME}` in a path or a text is replaced by the planted value of
NAME (see PLANTED), so a file can hold a secret literally. The harness
(tests/security/test_hostile_repositories.py) runs every command on it and checks every sink.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Planted in the environment of every run; none may appear in any sink (see the harness for the
# few places that hold one by design). Each is at least 8 characters, so masking applies.
PLANTED = {
    "GRID_API_KEY": "gridkey-PLANTED-4f1d9",
    "GRID_USER_ID": "griduser-PLANTED-77",
    "AWS_ACCESS_KEY_ID": "AKIAPLANTED000000001",
    "AWS_SECRET_ACCESS_KEY": "aws/PLANTED+secret0key",
    "AWS_SESSION_TOKEN": "session-PLANTED-token",
    "GITHUB_TOKEN": "ghs_PLANTEDtoken0000",
    "HOSTILE_VALUE": "env-PLANTED-value",  # read by `${env:HOSTILE_VALUE}`
    "HOSTILE_EXT": "ext-PLANTED-id-42",  # an external id from the environment
    "HOSTILE_NAME": "ml-planted-name",  # a valid cluster name, from the environment
    "HOSTILE_TYPE": "p3.plantedxl",  # a valid-looking instance type, from the environment
    "HOSTILE_QUOTED": "q'PLANTED\"x`$(id)",  # quotes and shell syntax, from the environment
    # Longer than any message quotes: a message that cuts it must not show its first characters.
    "HOSTILE_LONG": "long-PLANTED-" + "0123456789abcdef" * 5,
    # A capital sigma last: lower-cased alone it is a final sigma, beside a letter it is not.
    "HOSTILE_SIGMA": "sigma-PLANTED\u03a3",
    # A single quote and no double quote: repr of the value alone leaves the `'` as it is, repr
    # of a message holding it beside a `"` writes `\'` (see redact._repr_bodies).
    "HOSTILE_APOS": "apos'PLANTED-value",
}
LITERAL_EXTERNAL_ID = "ext-literal-PLANTED-9"  # written in a file: an external id is secret anyway
SECRETS = (*PLANTED.values(), LITERAL_EXTERNAL_ID)

ROLE = "arn:aws:iam::123456789012:role/grid"
# What the injected text tries to make the runner do; the harness fails on any workflow command
# line whose command or properties hold PWNED, and on any file named PWNED the script made.
INJECT = "::warning file=PWNED.md,line=1::PWNED"


def cluster(name: str = "ml-a", **fields: str) -> str:
    """A valid cluster document (YAML flow values); keyword arguments replace or add fields."""
    values = {
        "name": name,
        "provider": "aws",
        "region": "us-east-1",
        "role_arn": ROLE,
        "external_id": "${env:HOSTILE_EXT}",
        "instance_types": "[t3.large]",
        **fields,
    }
    body = "".join(f"{key}: {value}\n" for key, value in values.items())
    return f"apiVersion: gridsync/v1\nkind: Cluster\n{body}"


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    validate: int = 0
    plan: int | None = None  # default: as validate
    apply: int | None = None  # default: as plan
    # Values allowed in .gridsync/applied.json: the record names the clusters it applied.
    recorded: tuple[str, ...] = ()

    @property
    def plan_code(self) -> int:
        return self.validate if self.plan is None else self.plan

    @property
    def apply_code(self) -> int:
        return self.plan_code if self.apply is None else self.apply


BAD_NAME = "invalid cluster name"
CASES = [
    Case("control-a-valid-repository", {"clusters/a.yaml": cluster()}),
    Case(
        "literal-external-id",
        {"clusters/a.yaml": cluster(external_id=f'"{LITERAL_EXTERNAL_ID}"')},
    ),
    Case(
        "aws-profile-is-the-aws-secret",
        {"clusters/a.yaml": cluster(aws='{profile: "${env:AWS_SECRET_ACCESS_KEY}"}')},
        validate=1,  # no cluster file reads a credential (see credential-in-a-role-arn)
    ),
    Case(
        "credential-in-a-role-arn",
        {
            "clusters/a.yaml": cluster(
                role_arn='"arn:aws:iam::123456789012:role/${env:GITHUB_TOKEN}"'
            )
        },
        validate=1,  # a credential is never a cluster's value: it would be sent to Grid
    ),
    Case(
        "credential-as-the-external-id",
        {"clusters/a.yaml": cluster(external_id='"${env:GRID_API_KEY}"')},
        validate=1,
    ),
    Case(
        "credential-in-terraform-vars",
        {
            "clusters/a.yaml": cluster(
                infrastructure='{terraform: {module: infra, vars: {k: "${env:AWS_SESSION_TOKEN}"}}}'
            ),
            "infra/main.tf": 'variable "k" {}\n',
        },
        validate=1,
    ),
    Case(
        "credential-default-of-a-reference",
        {"clusters/a.yaml": cluster(region='"${env:UNSET_REGION:-${env:GH_TOKEN}}"')},
        validate=1,
    ),
    Case(
        "long-env-value-cut-by-an-instance-type-error",
        {"clusters/a.yaml": cluster(instance_types='["${env:HOSTILE_LONG}"]')},
        validate=1,
    ),
    Case(
        "long-env-value-cut-by-a-schema-error",
        {
            "clusters/a.yaml": cluster(
                instance_types='[{name: t3.large, root_volume_size: "${env:HOSTILE_LONG}"}]'
            )
        },
        validate=1,
    ),
    Case(
        "long-env-value-in-a-terraform-path-error",
        {
            "clusters/a.yaml": cluster(
                infrastructure='{terraform: {module: "../${env:HOSTILE_LONG}"}}'
            )
        },
        validate=1,
    ),
    Case(
        "quoted-env-value-in-an-instance-type-error",  # its repr, escaped again by each sink
        {"clusters/a.yaml": cluster(instance_types='["${env:HOSTILE_QUOTED}"]')},
        validate=1,
    ),
    Case(
        "sigma-env-value-beside-a-letter",
        {"clusters/a.yaml": cluster(instance_types='["${env:HOSTILE_SIGMA}x"]')},
        validate=1,
    ),
    Case(
        "name-from-env",
        {"clusters/a.yaml": cluster("${env:HOSTILE_NAME}")},
        recorded=(PLANTED["HOSTILE_NAME"],),
    ),
    Case(
        "name-from-env-with-a-literal-external-id",  # the script names a variable after both
        {"clusters/a.yaml": cluster("${env:HOSTILE_NAME}", external_id=f'"{LITERAL_EXTERNAL_ID}"')},
        recorded=(PLANTED["HOSTILE_NAME"],),
    ),
    Case(
        "instance-type-from-env",
        {"clusters/a.yaml": cluster(instance_types='["${env:HOSTILE_TYPE}", t3.large]')},
    ),
    Case(
        "instance-type-options-from-env",
        {
            "clusters/a.yaml": cluster(
                instance_types='[{name: "${env:HOSTILE_TYPE}", overprovisioned_ondemand_count: 1}]'
            )
        },
    ),
    Case(
        "env-value-is-not-an-instance-type",
        {"clusters/a.yaml": cluster(instance_types='["${env:HOSTILE_VALUE}"]')},
        validate=1,
    ),
    Case(
        "env-instance-type-listed-twice",
        {
            "clusters/a.yaml": cluster(
                instance_types='["${env:HOSTILE_TYPE}", "${env:HOSTILE_TYPE}"]'
            )
        },
        validate=1,
    ),
    Case(
        "env-name-declared-twice",
        {
            "clusters/a.yaml": cluster("${env:HOSTILE_NAME}"),
            "clusters/b.yaml": cluster("${env:HOSTILE_NAME}"),
        },
        validate=1,
    ),
    Case(
        "env-region-quoted-by-an-error",
        {"clusters/a.yaml": cluster(region='"${env:HOSTILE_VALUE}"')},
        validate=1,
    ),
    Case(
        "env-var-in-a-terraform-path-error",
        {
            "clusters/a.yaml": cluster(
                infrastructure='{terraform: {module: "../${env:HOSTILE_VALUE}"}}'
            )
        },
        validate=1,
    ),
    Case(
        "env-value-with-quotes-and-shell-syntax",
        {
            "clusters/a.yaml": cluster(
                role_arn='"arn:aws:iam::123456789012:role/${env:HOSTILE_QUOTED}"'
            )
        },
        validate=1,  # not an IAM role name
    ),
    Case(
        "external-id-with-a-newline-and-a-command",
        {"clusters/a.yaml": cluster(external_id='"${env:HOSTILE_EXT:-ext-2}\\ntouch PWNED #"')},
        validate=1,
    ),
    Case(
        "role-arn-with-command-substitution",
        {
            "clusters/a.yaml": cluster(
                role_arn='"arn:aws:iam::123456789012:role/$(touch PWNED)`touch PWNED`"'
            )
        },
        validate=1,
    ),
    Case(
        "secret-in-a-key",
        {"clusters/a.yaml": cluster(**{"{HOSTILE_EXT}": "1"})},
        validate=1,
    ),
    Case(
        "secret-in-a-run-config-value",
        {
            "clusters/a.yaml": cluster(),
            "runs/train.yaml": "compute:\n  provider:\n    cluster: {HOSTILE_EXT}\n",
        },
        validate=1,  # not a cluster name; its did-you-mean lower-cases the secret
    ),
    Case(
        "credential-in-a-run-config-value",
        {
            "clusters/a.yaml": cluster(),
            "runs/train.yaml": "compute:\n  provider:\n    cluster: {GRID_API_KEY}\n",
        },
        validate=1,
    ),
    Case(
        "file-name-starts-a-workflow-command",
        {f"clusters/c\n{INJECT}\n.yaml": cluster()},
    ),
    Case(
        "file-name-with-a-workflow-command-and-an-error",
        {f"clusters/c\n{INJECT}\n.yaml": cluster("Bad_Name")},
        validate=1,
    ),
    Case(
        "file-name-with-a-carriage-return",
        {f"clusters/c\r{INJECT}\r.yaml": cluster("Bad_Name")},
        validate=1,
    ),
    Case(
        "file-name-with-a-secret",
        {"clusters/{HOSTILE_EXT}.yaml": cluster("Bad_Name")},
        validate=1,
    ),
    Case(
        "run-config-file-name-starts-a-workflow-command",
        {
            "clusters/a.yaml": cluster(runs='["runs/**/*.yaml"]'),
            f"runs/r\n{INJECT}\n.yaml": "compute:\n  provider:\n    cluster: old\n",
        },
    ),
    Case(
        "key-with-a-newline",
        {"clusters/a.yaml": cluster(**{f'"x\\n{INJECT}"': "1"})},
        validate=1,
    ),
    Case(
        "key-with-a-carriage-return-and-legacy-command",
        {"clusters/a.yaml": cluster(**{'"x\\r##[warning]PWNED"': "1"})},
        validate=1,
    ),
    Case(
        "name-with-crlf-command",
        {"clusters/a.yaml": cluster(f'"x\\r\\n{INJECT}"')},
        validate=1,
    ),
    Case(
        "name-with-percent-encoded-command",
        {"clusters/a.yaml": cluster(f'"x%0A{INJECT}%0D%0A{INJECT}"')},
        validate=1,
    ),
    Case(
        "name-with-unicode-line-separators",
        {"clusters/a.yaml": cluster(f'"x\\L{INJECT}\\N{INJECT}\\P{INJECT}"')},
        validate=1,
    ),
    Case(
        "legacy-command-anywhere-in-a-value",
        {"clusters/a.yaml": cluster(instance_types='["t3.large ##[set-output name=PWNED;]1"]')},
        validate=1,
    ),
    Case(
        "gridsync-yaml-with-a-hostile-glob",
        {"gridsync.yaml": f'clusters: ["x\\n{INJECT}/*.yaml"]\n', "clusters/a.yaml": cluster()},
        # no file matches: a note quoting the glob; plan and apply refuse a project with no
        # cluster file, quoting it on one line
        plan=1,
    ),
    Case(
        "apostrophe-env-value-quoted-beside-a-double-quote",  # `module '../x"apos\'PLANTED...'`
        {
            "clusters/a.yaml": cluster(
                infrastructure='{terraform: {module: "../x\\"${env:HOSTILE_APOS}"}}'
            )
        },
        validate=1,
    ),
    Case(
        "apostrophe-env-value-in-an-aws-profile",  # preflight's `aws.profile 'x"apos\'...'`
        {"clusters/a.yaml": cluster(aws='{profile: "x\\"${env:HOSTILE_APOS}"}')},
    ),
]
