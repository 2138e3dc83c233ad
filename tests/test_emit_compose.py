"""The hand-written YAML: any string survives Docker Compose's parser and interpolation."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from depsplit.emit.compose import Flow, Node, dump
from depsplit.emit.text import yaml_str

HOSTILE = [
    "plain",
    "with space",
    'it\'s "quoted"',
    "$HOME and ${HOME} and $$",
    "new\nline\ttab",
    "café ☕ 𝄞",
    "# not a comment",
    "- not a list",
    "key: value",
    "true",
    "null",
    "0755",
    "\u2028sep\x85nel\x7fdel",
]


def compose_bin() -> str:
    spec = importlib.util.find_spec("compose")
    assert spec is not None
    assert spec.submodule_search_locations
    return str(Path(next(iter(spec.submodule_search_locations))) / "docker-compose")


def test_hostile_strings_round_trip_through_compose(tmp_path: Path) -> None:
    doc: dict[str, Node] = {
        "name": "t",
        "services": {
            "s": {
                "image": "busybox:latest",
                "command": Flow(tuple(HOSTILE)),
                "labels": {f"l{i}": v for i, v in enumerate(HOSTILE)},
            },
            "true": {"image": "busybox:latest"},
        },
    }
    (tmp_path / "compose.yaml").write_text("\n".join(dump(doc)) + "\n", encoding="utf-8")
    result = subprocess.run(
        [compose_bin(), "-f", "compose.yaml", "config", "--format", "json", "--no-interpolate"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert sorted(services) == ["s", "true"]
    escaped = [v.replace("$", "$$") for v in HOSTILE]
    assert services["s"]["command"] == escaped
    assert [services["s"]["labels"][f"l{i}"] for i in range(len(HOSTILE))] == escaped


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)),  # no escape
        st.text(),
    ),
    st.booleans(),
)
def test_every_string_is_one_yaml_scalar_that_reads_back(text: str, interpolated: bool) -> None:
    """What a YAML parser reads from the scalar is the string (``$`` doubled for Compose)."""
    scalar = yaml_str(text, interpolated=interpolated)
    assert "\n" not in scalar
    read = yaml.safe_load(f"key: {scalar}\n")["key"]
    assert read == (text.replace("$", "$$") if interpolated else text)
