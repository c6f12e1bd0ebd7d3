"""gridsync/output.py: every stream and file gridsync writes masks secrets, and no line it did not
make itself can be a GitHub Actions workflow command."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridsync import output, redact
from gridsync.console import Console
from gridsync.output import SafeStream, append_text, create_files, neutralise, write_atomic


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("::warning::x", "\\::warning::x"),
        ("ok\n::set-output name=a::1", "ok\n\\::set-output name=a::1"),
        ("ok\r::error::x", "ok\r\\::error::x"),
        ("ok\r\n  \t::error::x", "ok\r\n  \t\\::error::x"),
        ("ok\u2028::x", "ok\u2028\\::x"),
        ("ok\u2029::x", "ok\u2029\\::x"),
        ("ok\x85::x", "ok\x85\\::x"),
        ("ok\v::x\f::y", "ok\v\\::x\f\\::y"),
        ("ok\x1c::x", "ok\x1c\\::x"),
        ("\u200b\ufeff::x", "\u200b\ufeff\\::x"),
        ("\u00a0::x", "\u00a0\\::x"),
        (
            "a ##[warning]x and ##[set-output name=a;]1",
            "a #\\#[warning]x and #\\#[set-output name=a;]1",
        ),
        ("a :: b ::c", "a :: b ::c"),
        ("x%0A::warning::y", "x%0A::warning::y"),  # not a line break anywhere but in a command
    ],
)
def test_no_line_starts_a_workflow_command(text: str, shown: str) -> None:
    assert neutralise(text) == shown


def test_a_write_that_goes_on_with_a_line_is_not_a_line_start() -> None:
    raw = io.StringIO()
    stream = SafeStream(raw)
    stream.write("value: ")
    stream.write("::x\n")
    stream.write("  ")
    stream.write("::y\n")
    assert raw.getvalue() == "value: ::x\n  \\::y\n"


def test_streams_mask_secrets_and_only_gridsyncs_commands_pass() -> None:
    redact.register("hidden-value")
    out, err = io.StringIO(), io.StringIO()
    console = Console(out=out, err=err)
    console.result("plan: hidden-value\n::warning::from a file")
    console.command("::error file=a.yaml::hidden-value is wrong")
    console.log("HIDDEN-VALUE\n::add-mask::x")
    assert (
        out.getvalue() == "plan: ***\n\\::warning::from a file\n::error file=a.yaml::*** is wrong\n"
    )
    assert err.getvalue() == "***\n\\::add-mask::x\n"


@pytest.mark.parametrize(
    "pieces",
    [
        ["plan: hidden-value\n", "::warning::x\n", "  ::y", "\n::z"],
        ["a", "b  ::c\n", "", "::d hidden-value"],
        ["", ""],
    ],
)
def test_a_result_written_in_pieces_is_the_result_written_whole(pieces: list[str]) -> None:
    """Each piece a section of a plan (`formats.render_pieces`): masked, lines neutralised and the
    last line ended as if the pieces were written as one text."""
    redact.register("hidden-value")
    whole, pieced = io.StringIO(), io.StringIO()
    Console(out=whole, err=io.StringIO()).result("".join(pieces))
    Console(out=pieced, err=io.StringIO()).results(pieces)
    assert pieced.getvalue() == whole.getvalue()


def test_a_command_always_starts_its_own_line() -> None:
    raw = io.StringIO()
    stream = SafeStream(raw)
    stream.write("progress")
    stream.write_command("::error::x\n")
    assert raw.getvalue() == "progress\n::error::x\n"


def test_on_actions_each_secret_is_announced_once_before_anything_else() -> None:
    out_raw, err_raw = io.StringIO(), io.StringIO()
    err = SafeStream(err_raw).announce_here()
    out = SafeStream(out_raw, announcer=err)
    redact.register("one-secret")
    redact.register("multi%line\r\nsecond-line")
    out.write("result one-secret\n")
    redact.register("later-secret")
    err.write("log later-secret\n")
    out.write("again\n")
    assert out_raw.getvalue() == "result ***\nagain\n"
    assert err_raw.getvalue() == (
        "::add-mask::one-secret\n"
        "::add-mask::multi%25line\n"
        "::add-mask::second-line\n"
        "::add-mask::later-secret\n"
        "log ***\n"
    )


def test_without_actions_nothing_is_announced() -> None:
    raw = io.StringIO()
    redact.register("one-secret")
    SafeStream(raw).write("x one-secret\n")
    assert raw.getvalue() == "x ***\n"


def test_bytes_are_refused_like_a_text_stream_refuses_them() -> None:
    """click probes a stream with write(b"") to tell text from binary."""
    with pytest.raises(TypeError):
        SafeStream(io.StringIO()).write(b"")  # type: ignore[arg-type]


def test_files_are_masked(tmp_path: Path) -> None:
    redact.register("file-secret")
    append_text(tmp_path / "summary.md", "a file-secret\n")
    append_text(tmp_path / "summary.md", "b\n")
    write_atomic(tmp_path / "sub" / "plan.json", '{"x": "file-secret"}\n')
    assert (tmp_path / "summary.md").read_text() == "a ***\nb\n"
    assert (tmp_path / "sub" / "plan.json").read_text() == '{"x": "***"}\n'
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["plan.json"]


def test_create_files_makes_all_or_none_and_never_replaces(tmp_path: Path) -> None:
    taken = tmp_path / "b.yaml"
    taken.write_text("someone's\n")
    files = {tmp_path / "new" / "deep" / "a.yaml": "a\n", taken: "b\n"}
    with pytest.raises(FileExistsError):
        create_files(files)
    assert taken.read_text() == "someone's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.yaml"]  # no folder, no temp file left
    taken.unlink()
    create_files(files)
    assert [p.read_text() for p in files] == ["a\n", "b\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.yaml", "new"]


@given(st.text(alphabet=st.sampled_from("ab \t\n\r\u2028\x85\u200b:"), max_size=40))
def test_the_last_line_is_what_follows_the_last_line_break(text: str) -> None:
    expected = re.split("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]", text)[-1]
    assert output._last_line(text) == expected


def _neutralised_by_regex(text: str, at_line_start: bool) -> str:
    """The rule as a regex (how neutralise was first written): a line break or the start, blanks,
    then `::`."""
    breaks, blank = output._BREAKS, output._BLANK
    start = re.compile(rf"(?P<brk>^|[{breaks}])(?P<pad>(?:{blank})*)::")

    def escape(match: re.Match[str]) -> str:
        if match.start() == 0 and not match.group("brk") and not at_line_start:
            return match.group(0)
        return f"{match.group('brk')}{match.group('pad')}\\::"

    return start.sub(escape, output.neutralise_legacy(text))


def test_neutralise_escapes_what_the_rule_as_a_regex_escapes() -> None:
    rng = random.Random(9)  # noqa: S311  (test data)
    alphabet = [":", "::", ":::", " ", "\t", "\u200b", "\ufeff", "\u3000", "x", "#", "##[", "\\"]
    alphabet += list(output._BREAKS)
    for _ in range(3000):
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 14)))
        for at_line_start in (True, False):
            expected = _neutralised_by_regex(text, at_line_start)
            assert output.neutralise(text, at_line_start=at_line_start) == expected, repr(text)
