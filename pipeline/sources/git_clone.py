"""Shallow clones of git URLs with the `git` CLI, bounded in time and unable to prompt.

`git clone --depth 1` fetches only the newest commit. The process group is killed at the timeout (git's
transport helpers are child processes), credentials are never asked for (`GIT_TERMINAL_PROMPT=0`), LFS
objects are not fetched, and only the transports listed in `ALLOWED_PROTOCOLS` are allowed (no `ext::`).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

from pipeline.sources.repo_metadata import clean_url

ALLOWED_PROTOCOLS = "file:git:http:https:ssh"
GIT_URL_SCHEMES = ("http://", "https://", "ssh://", "git://", "file://")
# scp-like SSH address: `git@github.com:owner/name.git`.
SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)")
# `user:password@` in any URL git echoes back.
CREDENTIALS = re.compile(r"://[^/@\s]+@")
# Characters of git's stderr kept in a drop's detail.
STDERR_TAIL_CHARS = 300
# Modes of regular files and symlinks in `git ls-tree` (submodules, 160000, are other repositories).
LISTED_MODES = ("100644", "100755", "120000")


class CloneError(Exception):
    """A clone that failed (`timed_out` False) or ran past its time limit (`timed_out` True)."""

    def __init__(self, message: str, *, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


def is_git_url(entry: str) -> bool:
    return entry.startswith(GIT_URL_SCHEMES) or bool(SCP_LIKE.match(entry))


def git_repo_name(url: str) -> str:
    """`owner/name` for a hosted URL (https://github.com/owner/name.git), the last folder for file://."""
    if SCP_LIKE.match(url):
        path = url.split(":", 1)[1]
        host = True
    else:
        parts = urlsplit(url)
        path, host = parts.path, parts.scheme != "file"
    segments = [s.removesuffix(".git") for s in path.split("/")]
    segments = [s for s in segments if s]
    keep = segments[-2:] if host else segments[-1:]
    return "/".join(keep) or clean_url(url)


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GIT_SSH_COMMAND=env.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"),
        GIT_LFS_SKIP_SMUDGE="1",
        GIT_ALLOW_PROTOCOL=ALLOWED_PROTOCOLS,
    )
    return env


def _run_git(args: list[str], *, timeout_s: float, what: str) -> str:
    """Run git; its stdout, or `CloneError` naming `what` on failure or timeout (the whole group killed)."""
    try:
        proc = subprocess.Popen(
            ["git", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_git_env(),
            start_new_session=True,
        )
    except OSError as err:
        raise CloneError(f"{what}: cannot run git: {err.strerror or err}") from None
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise CloneError(f"{what}: timed out after {timeout_s:g} s", timed_out=True) from None
    if proc.returncode != 0:
        tail = CREDENTIALS.sub("://", err.decode("utf-8", "replace").strip())[-STDERR_TAIL_CHARS:]
        raise CloneError(f"{what}: git exited with {proc.returncode}: {tail}")
    return out.decode("utf-8", "surrogateescape")


def clone_shallow(url: str, dest: str, *, timeout_s: float, checkout: bool = True) -> None:
    """Clone the newest commit of `url` into the (empty or absent) folder `dest`. Without `checkout`,
    only commits and trees are fetched where the server allows it (enough to list paths)."""
    args = ["-c", "advice.detachedHead=false", "clone", "--depth", "1", "--quiet", "--no-tags", "--single-branch"]
    if not checkout:
        args += ["--no-checkout", "--filter=blob:none"]
    _run_git([*args, "--", url, dest], timeout_s=timeout_s, what=clean_url(url))


def head_commit(repo_dir: str, *, timeout_s: float) -> str:
    """The hash of the checked-out commit, "" when git cannot tell."""
    try:
        return _run_git(["-C", repo_dir, "rev-parse", "HEAD"], timeout_s=timeout_s, what=repo_dir).strip()
    except CloneError:
        return ""


def tracked_paths(repo_dir: str, *, timeout_s: float) -> Iterator[str]:
    """Paths of the files and symlinks in HEAD of a clone (no checkout needed)."""
    out = _run_git(["-C", repo_dir, "ls-tree", "-r", "-z", "--full-tree", "HEAD"], timeout_s=timeout_s, what=repo_dir)
    for item in out.split("\0"):
        meta, _, path = item.partition("\t")
        if path and meta.split(" ", 1)[0] in LISTED_MODES:
            yield path
