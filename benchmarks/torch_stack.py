"""A stand-in for issue 15's "32 apps with a torch stack" (that repository is not public):
32 apps in 8 stacks of 4 — torch 2.5 with torchvision 0.20 or torchaudio 2.5, torch 2.6
and newer with torchvision, transformers with accelerate, lightning, sentence-transformers,
timm, datasets — each with two of eight common libraries, so that no two apps have the same
requirements. Written into DIR (never inside this repository)::

    python benchmarks/torch_stack.py DIR
    python benchmarks/transitive_corpus.py DIR torch none      # cold, warm, locks

Same arguments, same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COMMON = (
    "requests>=2.31",
    "pydantic>=2",
    "fastapi>=0.110",
    "numpy<2",
    "pandas>=2",
    "scipy",
    "pillow>=10",
    "tqdm",
)
STACKS = (
    ("torch==2.5.0", "torchvision==0.20.0"),
    ("torch>=2.6", "torchvision"),
    ("transformers>=4.40", "accelerate", "torch"),
    ("lightning>=2.2", "torchmetrics"),
    ("sentence-transformers>=3", "torch"),
    ("torch==2.5.0", "torchaudio==2.5.0"),
    ("timm", "torch>=2.4"),
    ("datasets>=2.19", "transformers", "torch"),
)


def files() -> dict[str, str]:
    """``{path: text}`` of the repository: ``appNN/requirements.txt`` for 32 apps."""
    out: dict[str, str] = {}
    n = 0
    for i, stack in enumerate(STACKS):
        for j in range(4):
            n += 1
            lines = [*stack, COMMON[(i + j) % len(COMMON)], COMMON[(i * 3 + j + 1) % len(COMMON)]]
            out[f"app{n:02d}/requirements.txt"] = "\n".join(lines) + "\n"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parent.parent
    target = args.directory.resolve()
    if target == here or here in target.parents:
        parser.error("write it outside this repository")
    for rel, text in files().items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"{len(files())} apps in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
