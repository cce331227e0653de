"""The README runs as written, and its Vocabulary section is what the models generate.

Every ```sh block of README.md is run in order, with bash, in a fresh copy of the checkout (its
tracked files), against a fresh service on a free port and a new SQLite file. A block whose first
line is `# illustrative: <why>` is skipped (the suite itself, a PostgreSQL server, minutes of
benchmark); a block starting `# background` is the service: started in the background, waited
for, and stopped at the end. The README may say `localhost:8000`: the port is substituted, and
every `curl -s` runs with `--fail-with-body`, so an HTTP error (a 409, a 422) fails the block.

The install block (`python3 -m venv .venv && .venv/bin/pip install ...`) takes minutes; it is
run for real with STANCELINE_README_INSTALL=1. Otherwise `.venv/bin/stanceline` and
`.venv/bin/python` in the copy are wrappers around the environment running the tests.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from stanceline.vocabulary import readme_section, vocabulary_markdown

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
INSTALL = re.compile(r"python3 -m venv \.venv && \.venv/bin/pip install")


@dataclass(frozen=True)
class Block:
    number: int
    text: str

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0] if self.text.strip() else ""

    @property
    def illustrative(self) -> bool:
        return self.first_line.startswith("# illustrative")

    @property
    def background(self) -> bool:
        return self.first_line.startswith("# background")


def blocks(text: str) -> list[Block]:
    return [Block(i, m.group(1)) for i, m in enumerate(BLOCK.finditer(text), start=1)]


def test_the_vocabulary_section_is_what_the_models_generate() -> None:
    section = readme_section(README.read_text(encoding="utf-8"))
    assert section, "README.md has no generated Vocabulary section"
    assert section == vocabulary_markdown(ROOT / "events"), (
        "README.md's Vocabulary section is stale: run "
        "`.venv/bin/stanceline vocabulary --readme README.md`")


def test_every_skipped_block_says_why() -> None:
    found = blocks(README.read_text(encoding="utf-8"))
    assert len(found) >= 8
    for block in found:
        if block.illustrative:
            assert re.match(r"# illustrative: \S", block.first_line), block.text
    assert sum(b.background for b in found) == 1, "exactly one block starts the service"
    assert [b for b in found if INSTALL.search(b.text) and not b.illustrative], \
        "the README says how to install"
    # Outside the illustrative synopses every command is spelled so that it runs as written.
    for block in found:
        if block.illustrative:
            continue
        for line in block.text.splitlines():
            assert not re.match(r"\s*stanceline\b", line), f"bare `stanceline` in: {line}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fresh_copy(target: Path) -> Path:
    """The checkout's tracked files (as they are now), as a fresh clone would have them."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def wrap_this_environment(clone: Path) -> None:
    """`.venv/bin/stanceline` and `.venv/bin/python` running this interpreter."""
    bin_dir = clone / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, command in (("stanceline", f'"{sys.executable}" -m stanceline'),
                          ("python", f'"{sys.executable}"')):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
        wrapper.chmod(0o755)


def substituted(text: str, port: int) -> str:
    text = re.sub(r"\b(?:localhost|127\.0\.0\.1):8000\b", f"127.0.0.1:{port}", text)
    text = re.sub(r"\bcurl -s ", "curl -sS --fail-with-body ", text)
    return re.sub(r"(stanceline serve)\b", rf"\1 --port {port}", text)


@pytest.fixture
def clone(tmp_path: Path) -> Iterator[Path]:
    yield fresh_copy(tmp_path / "clone")


@pytest.mark.slow
def test_every_shell_block_of_the_readme_runs_in_order(clone: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("the README's examples use curl, which is not installed")
    install = os.environ.get("STANCELINE_README_INSTALL") == "1"
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("STANCELINE_") and k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    if not install:
        wrap_this_environment(clone)
        # The wrapped environment's package lives elsewhere; the copy's events are loaded.
        env["STANCELINE_SEED_EVENTS_DIR"] = str(clone / "events")
    service: subprocess.Popen[bytes] | None = None
    ran: list[int] = []
    log = clone / "service.log"
    try:
        for block in blocks(README.read_text(encoding="utf-8")):
            if block.illustrative or (INSTALL.search(block.text) and not install):
                continue
            script = substituted(block.text, port)
            if block.background:
                with log.open("wb") as out:
                    service = subprocess.Popen(["bash", "-c", f"exec {script.strip()}"],
                                               cwd=clone, env=env, stdout=out,
                                               stderr=subprocess.STDOUT,
                                               start_new_session=True)
                wait_for(port, service, log)
                ran.append(block.number)
                continue
            done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=clone,
                                  env=env, capture_output=True, timeout=300, check=False)
            assert done.returncode == 0, (
                f"README block {block.number} failed ({done.returncode}):\n{script}\n"
                f"--- stdout\n{done.stdout.decode()[-3000:]}\n"
                f"--- stderr\n{done.stderr.decode()[-3000:]}")
            ran.append(block.number)
    finally:
        if service is not None:
            os.killpg(service.pid, signal.SIGTERM)
            try:
                service.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(service.pid, signal.SIGKILL)
                service.wait(5)
    assert service is not None, "no block started the service"
    assert len(ran) >= 5, ran
    # The first append of the README landed on the fresh database (and only once).
    assert (clone / "stanceline.db").exists()


def wait_for(port: int, service: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if service.poll() is not None:
            pytest.fail(f"the service exited ({service.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the service did not answer on port {port}:\n{log.read_text()}")
