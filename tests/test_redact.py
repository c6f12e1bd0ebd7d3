"""gridsync/redact.py: the secrets of a run, masked by value in any text and as sinks escape them."""

from __future__ import annotations

import html
import json
import random

import pytest

from gridsync import redact
from gridsync.config.envsubst import substitute
from gridsync.escapes import escape_data, escape_property, md_escape, shell_word
from gridsync.infra.tfoutput import register_outputs

SECRET = "sec\"ret\\value'$`x|*<&>"


def test_a_secret_is_masked_as_every_sink_escapes_it() -> None:
    redact.register(SECRET)
    for shown in (
        SECRET,
        json.dumps(SECRET)[1:-1],
        json.dumps(SECRET, ensure_ascii=False)[1:-1],
        repr(SECRET)[1:-1],
        md_escape(SECRET),
        html.escape(SECRET, quote=False),
        escape_data(SECRET),
        escape_property(SECRET),
    ):
        assert redact.mask(f"<{shown}>") == "<***>", shown


def test_a_quoted_shell_word_stays_one_quoted_word() -> None:
    redact.register("a b c'd")
    assert redact.mask(f"grid x {shell_word('a b c' + chr(39) + 'd')} y") == "grid x '***' y"


def test_longest_first_so_a_secret_inside_another_leaves_nothing_behind() -> None:
    redact.register_all(["abcd", "xxabcdyy"])
    assert redact.mask("xxabcdyy abcd") == "*** ***"


def test_matching_ignores_case() -> None:
    redact.register("Ext-Secret-42")
    assert redact.mask("did you mean 'ext-secret-42'? EXT-SECRET-42") == "did you mean '***'? ***"


def test_values_under_four_characters_are_not_masked_by_value_unless_asked() -> None:
    redact.register_all(["abc", "on", "1"])
    assert redact.mask("abc on 1") == "abc on 1"
    assert redact.mask("abc on 1", extra=("abc",)) == "*** on 1"


def test_each_line_of_a_multi_line_secret_is_masked_too() -> None:
    redact.register("first-line\nsecond-line")
    assert redact.mask("a first-line b second-line") == "a *** b ***"


def test_the_environment_credentials_and_the_marked_variables_are_secrets() -> None:
    env = {
        "GRID_API_KEY": "grid-key-1",
        "GRID_USER_ID": "grid-user-1",
        "AWS_SECRET_ACCESS_KEY": "aws-secret-1",
        "AWS_SESSION_TOKEN": "aws-session-1",
        "GITHUB_TOKEN": "gh-token-1",
        "GH_TOKEN": "gh-token-2",
        "GRIDSYNC_MASK_ENV": "MY_TOKEN, OTHER_ONE",
        "MY_TOKEN": "mine-1",
        "OTHER_ONE": "other-1",
        "NOT_MARKED": "plain-1",
    }
    redact.register_environment(env)
    for name, value in env.items():
        assert (value in redact.SECRETS) == (name not in ("NOT_MARKED", "GRIDSYNC_MASK_ENV")), name


def test_env_substitution_reports_the_values_it_took_but_not_defaults() -> None:
    result = substitute("${env:A}-${env:B:-default}-${env:C:-dflt}", {"A": "from-a", "C": "from-c"})
    assert result.value == "from-a-default-from-c"
    assert result.secrets == ("from-a", "from-c")


def test_terraform_outputs_register_sensitive_values_and_secret_keys() -> None:
    document = {
        "name": "ml-a",
        "spec": {
            "driver": {
                "kubernetes": {
                    "aws": {
                        "region": "us-east-1",
                        "externalId": "doc-external-id",
                        "roleArn": "arn:role",
                    }
                }
            }
        },
    }
    register_outputs(
        {
            "gridv1_cluster": {"sensitive": True, "value": json.dumps(document)},
            "token": {"sensitive": True, "value": "tf-token-value"},
            "plain": {"sensitive": False, "value": "visible-value"},
            "external_id": {"sensitive": False, "value": "plain-external-id"},
        }
    )
    for value in ("doc-external-id", "tf-token-value", "plain-external-id"):
        assert value in redact.SECRETS, value
    for value in ("ml-a", "us-east-1", "visible-value"):
        assert value not in redact.SECRETS, value


def test_request_bodies_are_masked_string_by_string() -> None:
    redact.register("token-in-body")
    body = {"body": "x token-in-body y", "labels": ["token-in-body"], "n": 1}
    assert redact.mask_strings(body) == {"body": "x *** y", "labels": ["***"], "n": 1}


def test_a_body_without_a_secret_comes_back_as_it_is_and_any_secret_anywhere_is_masked() -> None:
    redact.register("token-in-body")
    clean = {"a": ["token-in", "-body"], "b": {"token": "in-body"}, "n": 2}  # parts, never whole
    assert redact.mask_strings(clean) is clean
    for body, masked in [
        ({"token-in-body": 1}, {"***": 1}),  # in a key
        ({"a": [1, [{"b": "TOKEN-IN-BODY!"}]]}, {"a": [1, [{"b": "***!"}]]}),  # deep, any case
        ({"a": "x", "z": "token-in-body"}, {"a": "x", "z": "***"}),  # the last string
    ]:
        assert redact.mask_strings(body) == masked


@pytest.mark.parametrize("value", ["", None])
def test_nothing_to_register(value: str | None) -> None:
    redact.register(value)
    assert redact.mask("text") == "text"


def test_where_secrets_overlap_all_of_both_is_masked() -> None:
    redact.register_all(["abcdef", "defghi"])
    assert redact.mask("x abcdefghi y") == "x *** y"


def test_a_fleets_worth_of_secrets_masks_in_one_pass() -> None:
    redact.register_all(f"team{i % 7}-ext-{i:04d}" for i in range(1000))
    text = "id team3-ext-0003, TEAM5-EXT-0999; team5-ext-1000\n" * 1000
    assert redact.mask(text) == "id ***, ***; team5-ext-1000\n" * 1000


def _reference_mask(text: str, forms: dict[str, str]) -> str:
    """Masking as it is specified, one form at a time: every place a form is written (any case,
    overlapping places too), the union of those places replaced, a place that is exactly one form
    by that form's mask."""
    masks = {form.lower(): mask for form, mask in forms.items()}
    places: list[tuple[int, int]] = []
    for form in masks:
        for start in range(len(text) - len(form) + 1):
            if text[start : start + len(form)].lower() == form:
                places.append((start, start + len(form)))
    merged: list[list[int]] = []
    for start, stop in sorted(places):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    out, end = [], 0
    for start, stop in merged:
        out += [text[end:start], masks.get(text[start:stop].lower(), redact.MASK)]
        end = stop
    return "".join([*out, text[end:]])


def test_masking_finds_what_a_form_by_form_search_finds() -> None:
    """Random secrets that share prefixes, suffixes and each other's middles, in random text."""
    rng = random.Random(15)  # noqa: S311  (test data)
    alphabet = "abAB-x'\" "
    for _ in range(200):
        secrets = ["".join(rng.choices(alphabet, k=rng.randint(4, 9))) for _ in range(6)]
        secrets += [secrets[0][1:] + "a", secrets[1] + secrets[2][:3]]
        forms: dict[str, str] = {}
        for secret in secrets:
            forms.update(redact.escaped_forms(secret))
        text = "".join(rng.choice([*secrets, *alphabet, "\\", "\u0130", "İa"]) for _ in range(60))
        text = "".join(c.upper() if rng.random() < 0.2 else c for c in text)
        matcher = redact._Matcher.build(forms)
        expected = _reference_mask(text, forms)
        assert matcher.mask(text) == expected, (secrets, text)
        matcher.CHUNK = rng.randint(1, 12)  # places across the pieces the text is searched in
        assert matcher.mask(text) == expected, (secrets, text, matcher.CHUNK)


def test_a_character_that_lower_cases_to_two_moves_no_mask() -> None:
    """'İ'.lower() is two characters: the places found in the lower-cased text are mapped back."""
    redact.register("secret-value")
    assert redact.mask("İİ SECRET-value İ secret-valuE.") == "İİ *** İ ***."


@pytest.mark.parametrize("chunk", [1, 2, 5, 11])
def test_a_secret_across_the_pieces_the_text_is_searched_in(chunk: int) -> None:
    forms = {"longest-secret": "***", "short": "***"}
    matcher = redact._Matcher.build(forms)
    matcher.CHUNK = chunk
    for offset in range(2 * chunk + 3):
        text = "x" * offset + "LONGEST-SECRET" + "y" * 3 + "short" + "z"
        assert matcher.mask(text) == "x" * offset + "***yyy***z", offset


def test_clean_escapes_every_control_character_and_nothing_else() -> None:
    """clean's shortcut for printable ASCII gives what its regex gives, on every character."""
    from gridsync.escapes import _UNSAFE, _escape_char, clean

    for code in [*range(0x250), 0x2028, 0x2029, 0x200B, 0xFEFF, 0x1F600]:
        for text in (chr(code), f"a{chr(code)}b", f"{chr(code)} x"):
            assert clean(text) == _UNSAFE.sub(_escape_char, text), hex(code)


def test_a_secret_no_sink_escapes_has_the_forms_of_every_escaping() -> None:
    """escaped_forms skips the escapings for a secret of characters none of them changes: the
    forms are those the escapings give (every printable ASCII character checked in a secret, and
    random secrets of the characters it skips them for)."""
    for char in map(chr, range(32, 127)):
        secret = f"ab{char}cd"
        assert redact.escaped_forms(secret) == redact._every_form(secret), repr(char)
    rng = random.Random(7)  # noqa: S311  (test data)
    inert = "aZ09./+=@-"
    for _ in range(500):
        secret = "".join(rng.choices(inert, k=rng.randint(4, 12)))
        assert redact.escaped_forms(secret) == redact._every_form(secret), secret


LONG = "long-secret-" + "0123456789abcdef" * 4


def test_text_cut_to_a_length_is_masked_before_it_is_cut() -> None:
    """A cut secret is not a secret `mask` knows: shorten (every message that cuts a value goes
    through it: schemas.quoted, Grid's and GitHub's error messages) masks first."""
    from gridsync.config.schemas import quoted

    redact.register(LONG)
    for shown in (redact.shorten(f"type {LONG} is bad", 40), quoted(f"x{LONG}y", limit=30)):
        assert "***" in shown and LONG[:10] not in redact.mask(shown), shown
    assert redact.shorten(f"type {LONG} is bad", 12) == "type *** ..."
    assert redact.shorten("plain text, no secret in it", 10) == "plain t..."


def test_a_capital_sigma_is_found_whatever_stands_beside_it() -> None:
    """str.lower writes a final sigma for a capital one that ends a word: the secret alone folds
    to one, the secret followed by a letter to the other; both must match."""
    secret = "sigma-PLANTED\u03a3"
    redact.register(secret)
    for text in (f"'{secret}x'", f"x {secret} x", f"{secret}ab", secret.lower(), secret.upper()):
        assert secret.lower()[:-1] not in redact.mask(text).lower(), text


def test_a_secret_quoted_by_a_message_is_masked_as_each_sink_escapes_the_quote() -> None:
    """A message quotes a value by its repr; the JSON output and the Markdown comment escape that
    again."""
    redact.register(SECRET)
    quoted = repr(SECRET)[1:-1]
    for shown in (json.dumps(quoted)[1:-1], md_escape(quoted), html.escape(quoted, quote=False)):
        assert redact.mask(f"<{shown}>") == "<***>", shown


@pytest.mark.parametrize(
    ("name", "credential"),
    [
        ("GRID_API_KEY", True),
        ("GRID_URL", True),
        ("GRIDSYNC_LOCAL_API_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("AWS_SECURITY_TOKEN", True),
        ("GITHUB_TOKEN", True),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", True),
        ("ML_PROD_EXTERNAL_ID", False),
        ("GRIDSYNC_ML_PROD_EXTERNAL_ID", False),  # what `gridsync import` writes
        ("AWS_REGION", False),
        ("HOME", False),
    ],
)
def test_credentials_of_gridsync_and_the_ci(name: str, credential: bool) -> None:
    assert redact.is_credential(name) is credential


def test_a_secret_quoted_inside_a_longer_text_is_masked_however_repr_escapes_its_quotes() -> None:
    """repr picks its quotes by the whole text: a value holding a `'` is written `\\'` when the
    text quoting it also holds a `"` (`module '../x"it\\'s...'`), and each sink escapes that again."""
    secret = "it's-a-secret"
    redact.register(secret)
    quoted = repr(f'../x"{secret}')[1:-1]
    for shown in (quoted, json.dumps(quoted)[1:-1], md_escape(quoted), escape_data(quoted)):
        assert "a-secret" not in redact.mask(shown), shown
