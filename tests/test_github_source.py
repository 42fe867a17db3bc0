"""The GitHub code source: every input kind and every hostile-input case, on data the tests create."""
from __future__ import annotations

import collections
import gzip
import json
import os
import random
import shutil
import socket
import stat
import subprocess
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to
from archive_fixtures import add_zeros, tar_add

from pipeline.config import ConfigError, parse_config
from pipeline.github_transforms import github_entries, metadata_location, read_github_code, read_limits
from pipeline.record import Drop, Record, stable_id
from pipeline.sources.file_dumps import DumpColumns
from pipeline.sources.file_text import decode_source
from pipeline.sources.git_clone import git_repo_name
from pipeline.sources.github import ReadLimits, RepoUnit, expand_entry, read_tree, read_unit, split_unit
from pipeline.sources.repo_metadata import (
    RepoMeta,
    clean_url,
    license_order,
    metadata_rows,
    origin_url,
    parse_date,
    spdx_from_text,
)
from pipeline.sources.tree_entries import FileEntry
from pipeline.stages import Funnel

MIT = "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\n"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


# ------------------------------------------------------------------------------------------------ helpers


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def read_all(unit: RepoUnit, **limits) -> tuple[dict[str, Record], list[Drop]]:
    records, drops = {}, []
    for item in read_unit(unit, ReadLimits(**limits)):
        if isinstance(item, Drop):
            drops.append(item)
        else:
            assert item.path not in records
            records[item.path] = item
    return records, drops


def reasons(drops: list[Drop]) -> dict[str, int]:
    return dict(collections.Counter(d.reason for d in drops))


def git(*args: str, cwd: Path | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True, text=True)
    return out.stdout


def bare_repo(tmp_path: Path, files: dict[str, str | bytes], name: str = "proj") -> Path:
    """A bare git repository (made with the git CLI) holding `files` in one commit."""
    work = write_files(tmp_path / f"{name}-work", files)
    git("init", "-q", "-b", "main", cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "init", cwd=work)
    bare = tmp_path / f"{name}.git"
    git("clone", "-q", "--bare", str(work), str(bare))
    return bare


SAMPLE = {
    "README.md": "# proj\n",
    "src/app.py": "import os\nprint(os.name)\n",
    "src/util/strings.py": "def up(s):\n    return s.upper()\n",
    "LICENSE": MIT,
}


# ------------------------------------------------------------------------------------------------ decoding


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", (None, "empty_file")),
        (b"print(1)\n", ("print(1)\n", "utf-8")),
        (b"\xef\xbb\xbfx = 1\n", ("x = 1\n", "utf-8-sig")),
        ("x = 'é'\n".encode("utf-16"), ("x = 'é'\n", "utf-16")),
        ("x = 1\n".encode("utf-32"), ("x = 1\n", "utf-32")),
        ("x = 1\n".encode("utf-16-le"), (None, "binary")),  # UTF-16 without a BOM has NULs
        (b"\x89PNG\r\n\x1a\n" + b"rest", (None, "binary")),
        (b"abc\x00def", (None, "binary")),
        (b"caf\xe9 = 1\n", (None, "undecodable")),  # Latin-1, not UTF-8
        (b"\xff\xfe\x00\xd8", (None, "undecodable")),  # BOM then a lone surrogate
    ],
)
def test_decode_source(data, expected):
    assert decode_source(data) == expected


# ------------------------------------------------------------------------------------------------ folders


def test_one_repository_folder(tmp_path):
    repo = write_files(tmp_path / "proj", {**SAMPLE, ".git/config": "[core]\n", ".git/HEAD": "ref\n"})
    (repo / ".git/config").write_text('[remote "origin"]\n\turl = https://user:tok@github.com/o/proj.git\n')
    units = list(expand_entry(str(repo)))
    assert units == [RepoUnit("dir", str(repo), "proj")]
    records, drops = read_all(units[0])
    assert drops == []
    assert sorted(records) == sorted(SAMPLE)
    rec = records["src/app.py"]
    assert rec.id == stable_id("proj", "src/app.py") and rec.source == "github" and rec.repo == "proj"
    assert rec.text == SAMPLE["src/app.py"]
    assert rec.repo_license == "MIT" and rec.meta["license_file"] == "LICENSE"
    assert rec.repo_url == "https://github.com/o/proj.git"  # credentials never kept


def test_folder_of_repositories_one_and_two_levels(tmp_path):
    root = tmp_path / "repos"
    write_files(root / "alpha", {"a.py": "a = 1\n"})
    write_files(root / "beta", {"b.py": "b = 1\n"})
    write_files(root / "owner" / "gamma", {"g.py": "g = 1\n"})
    bare = bare_repo(tmp_path, {"z.py": "z = 1\n"}, name="zeta")
    os.rename(bare, root / "zeta.git")
    os.symlink(root / "alpha", root / "alias")
    units = list(expand_entry(str(root)))
    assert [(u.kind, u.name) for u in units] == [
        ("symlinked_repo", "alias"),
        ("dir", "alpha"),
        ("dir", "beta"),
        ("dir", "owner/gamma"),
        ("git", "zeta"),
    ]
    records, _ = read_all(units[3])
    assert list(records) == ["g.py"] and records["g.py"].repo == "owner/gamma"
    assert reasons(read_all(units[0])[1]) == {"symlink_outside_repo": 1}
    assert list(read_all(units[4])[0]) == ["z.py"]


def test_symlinks_never_followed_and_loops_do_not_hang(tmp_path):
    outside = write_files(tmp_path / "secret", {"passwd": "root:x:0:0\n"})
    repo = write_files(tmp_path / "proj", {"main.py": "x = 1\n", "pkg/mod.py": "y = 2\n"})
    os.symlink(outside / "passwd", repo / "leak.py")
    os.symlink(outside, repo / "leakdir")
    os.symlink("/etc/hostname", repo / "abs.py")
    os.symlink(".", repo / "pkg" / "self")  # a folder loop
    os.symlink("b.py", repo / "a.py")
    os.symlink("a.py", repo / "b.py")  # a file loop
    os.symlink("main.py", repo / "alias.py")
    os.symlink("missing.py", repo / "dangling.py")
    records, drops = read_all(RepoUnit("dir", str(repo), "proj"))
    assert sorted(records) == ["main.py", "pkg/mod.py"]
    assert reasons(drops) == {"symlink_outside_repo": 3, "symlink_broken": 3, "symlink_in_repo": 2}
    by_path = {d.id: d for d in drops}
    leak = by_path[stable_id("proj", "leak.py")]
    assert leak.reason == "symlink_outside_repo" and "leak.py" in leak.detail


def test_hostile_files_in_a_folder(tmp_path):
    repo = write_files(
        tmp_path / "proj",
        {
            "ok.py": "print('ok')\n",
            "image.py": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "nul.py": b"x = 1\x00\x01\x02",
            "latin1.py": "caf\u00e9 = 1\n".encode("latin-1"),
            "utf16.py": "s = 'h\u00e9'\n".encode("utf-16"),
            "utf16_nobom.py": "s = 1\n".encode("utf-16-le"),
            "bom.py": b"\xef\xbb\xbfz = 1\n",
            "empty.py": b"",
            "big.py": b"x" * 2000,
        },
    )
    os.mkfifo(repo / "pipe.py")  # opening a FIFO would block forever
    with open(os.path.join(os.fsencode(repo), b"bad\xffname.py"), "wb") as fh:
        fh.write(b"x = 1\n")
    records, drops = read_all(RepoUnit("dir", str(repo), "proj"), max_file_bytes=1000)
    assert sorted(records) == ["bom.py", "ok.py", "utf16.py"]
    assert records["utf16.py"].text == "s = 'h\u00e9'\n" and records["utf16.py"].meta["encoding"] == "utf-16"
    assert records["bom.py"].text == "z = 1\n"
    assert reasons(drops) == {
        "binary": 3,
        "undecodable": 1,
        "empty_file": 1,
        "too_large": 1,
        "not_regular_file": 1,
        "undecodable_path": 1,
    }
    assert all("proj/" in d.detail for d in drops)
    too_large = next(d for d in drops if d.reason == "too_large")
    assert "big.py: 2000 bytes > 1000" in too_large.detail


def test_unreadable_file_is_a_drop_naming_it(tmp_path):
    def broken(limit: int) -> bytes:
        raise PermissionError(13, "Permission denied")

    class Tree:
        location = str(tmp_path)
        may_repeat_paths = False

        def entries(self):
            yield FileEntry("locked.py", -1, broken)
            yield FileEntry("fine.py", -1, lambda limit: b"x = 1\n")

        def license_files(self, limit=0):
            return []

    out = list(read_tree(RepoUnit("dir", str(tmp_path), "r"), Tree(), ReadLimits()))
    assert [type(x).__name__ for x in out] == ["Drop", "Record"]
    assert out[0].reason == "unreadable" and "locked.py" in out[0].detail and "Permission denied" in out[0].detail


@pytest.fixture(scope="module")
def many_files_repo(tmp_path_factory) -> Iterator[Path]:
    """20,000 tiny files in 100 folders, on tmpfs when there is one (creating them on disk is the slow part)."""
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path_factory.mktemp("many")
    root = base / "huge"
    root.mkdir()
    for d in range(100):
        folder = root / f"d{d:03d}"
        folder.mkdir()
        for f in range(200):
            fd = os.open(folder / f"f{f:03d}.py", os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, b"x = 1\n")
            os.close(fd)
    yield root
    shutil.rmtree(base, ignore_errors=True)


def test_repository_with_20000_tiny_files(many_files_repo):
    records, drops = read_all(RepoUnit("dir", str(many_files_repo), "huge"))
    assert len(records) == 20_000 and drops == []


def test_files_per_repository_cap(many_files_repo):
    records, drops = read_all(RepoUnit("dir", str(many_files_repo), "huge"), max_files_per_repo=500)
    assert len(records) == 500 and reasons(drops) == {"too_many_files": 19_500}
    assert min(records) == "d000/f000.py" and max(records) == "d002/f099.py"  # the walk is sorted


# ------------------------------------------------------------------------------------------------ git


def test_git_url_shallow_clone(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    bare = bare_repo(tmp_path, SAMPLE)
    url = bare.as_uri()
    units = list(expand_entry(url))
    assert units == [RepoUnit("git", url, "proj")]
    records, drops = read_all(units[0])
    assert drops == [] and sorted(records) == sorted(SAMPLE)
    rec = records["src/app.py"]
    assert rec.repo_url == url and rec.repo_license == "MIT" and len(rec.meta["commit"]) == 40
    assert list((tmp_path / "tmp").iterdir()) == []  # the clone is removed


def test_git_clone_failure_is_a_drop_naming_the_url(tmp_path):
    url = (tmp_path / "nope.git").as_uri()
    _, drops = read_all(RepoUnit("git", url, "nope"))
    assert reasons(drops) == {"clone_failed": 1} and url in drops[0].detail
    secret = "https://user:s3cret@127.0.0.1:1/o/r.git"  # nothing listens on port 1
    _, drops = read_all(RepoUnit("git", secret, "o/r"), git_clone_timeout_s=30)
    assert reasons(drops) == {"clone_failed": 1}
    assert "s3cret" not in drops[0].detail and "127.0.0.1:1/o/r.git" in drops[0].detail


@pytest.fixture
def silent_git_server():
    """A TCP server that accepts git:// connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    stop, conns = threading.Event(), []

    def accept():
        while not stop.is_set():
            try:
                conns.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"git://127.0.0.1:{server.getsockname()[1]}/repo.git"
    stop.set()
    thread.join()
    for conn in conns:
        conn.close()
    server.close()


def test_git_clone_timeout_is_a_drop(silent_git_server):
    _, drops = read_all(RepoUnit("git", silent_git_server, "repo"), git_clone_timeout_s=1)
    assert reasons(drops) == {"clone_timeout": 1} and silent_git_server in drops[0].detail


def test_git_repo_after_cutoff_is_listed_not_checked_out(tmp_path):
    bare = bare_repo(tmp_path, SAMPLE)
    unit = RepoUnit("git", bare.as_uri(), "proj", meta=RepoMeta(created_at="2024-01-05"))
    records, drops = read_all(unit, created_before=parse_date_obj("2023-11-01"))
    assert records == {} and reasons(drops) == {"created_after_cutoff": len(SAMPLE)}
    assert {d.id for d in drops} == {stable_id("proj", p) for p in SAMPLE}


def parse_date_obj(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


@pytest.mark.parametrize(
    "url, name",
    [
        ("https://github.com/psf/requests.git", "psf/requests"),
        ("https://github.com/psf/requests", "psf/requests"),
        ("git@github.com:google/gson.git", "google/gson"),
        ("ssh://git@host:22/a/b/c.git", "b/c"),
        ("file:///srv/mirrors/tool.git", "tool"),
    ],
)
def test_git_repo_names(url, name):
    assert git_repo_name(url) == name


# ------------------------------------------------------------------------------------------------ archives


@pytest.mark.parametrize("fmt, suffix", [("tar.gz", ".tar.gz"), ("tgz", ".tgz"), ("zip", ".zip")])
def test_github_style_archive(tmp_path, fmt, suffix):
    bare = bare_repo(tmp_path, SAMPLE)
    archive = tmp_path / f"proj-main{suffix}"
    git("archive", f"--format={fmt}", "--prefix=proj-main/", "-o", str(archive), "HEAD", cwd=bare)
    units = list(expand_entry(str(archive)))
    assert units == [RepoUnit("archive", str(archive), "proj-main")]
    records, drops = read_all(units[0])
    assert drops == [] and sorted(records) == sorted(SAMPLE)
    assert records["LICENSE"].repo_license == "MIT"
    assert records["src/app.py"].id == stable_id("proj-main", "src/app.py")


@pytest.mark.parametrize("mode, suffix", [("w:bz2", ".tar.bz2"), ("w:xz", ".tar.xz"), ("w", ".tar")])
def test_other_tar_compressions(tmp_path, mode, suffix):
    repo = write_files(tmp_path / "proj", SAMPLE)
    archive = tmp_path / f"proj-v1{suffix}"
    with tarfile.open(archive, mode) as tar:
        tar.add(repo, arcname="proj-v1")
    records, drops = read_all(next(expand_entry(str(archive))))
    assert drops == [] and sorted(records) == sorted(SAMPLE) and records["README.md"].repo == "proj-v1"


def test_same_ids_from_folder_tar_and_zip(tmp_path):
    repo = write_files(tmp_path / "src" / "proj", SAMPLE)
    tar_path, zip_path = tmp_path / "a" / "proj.tar.gz", tmp_path / "b" / "proj.zip"
    tar_path.parent.mkdir()
    zip_path.parent.mkdir()
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(repo, arcname="proj")
    with zipfile.ZipFile(zip_path, "w") as zf:
        for rel in sorted(SAMPLE, reverse=True):  # a different order: ids must not care
            zf.write(repo / rel, f"proj/{rel}")
    ids = []
    for unit in (RepoUnit("dir", str(repo), "proj"), *expand_entry(str(tmp_path / "[ab]" / "proj.*"))):
        records, drops = read_all(unit)
        assert drops == []
        ids.append(sorted(r.id for r in records.values()))
    assert ids[0] == ids[1] == ids[2] and len(ids[0]) == len(SAMPLE)


def hostile_tar(path: Path, *, bomb_bytes: int = 0) -> Path:
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        tar_add(tar, "evil-main", type=tarfile.DIRTYPE)
        tar_add(tar, "evil-main/good.py", b"x = 1\n")
        tar_add(tar, "evil-main/../../escape.py", b"import os\n")
        tar_add(tar, "/etc/cron.d/evil", b"* * * * * root sh\n")
        tar_add(tar, "evil-main/link_out", type=tarfile.SYMTYPE, linkname="../../../etc/passwd")
        tar_add(tar, "evil-main/link_abs", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        tar_add(tar, "evil-main/link_in", type=tarfile.SYMTYPE, linkname="good.py")
        tar_add(tar, "evil-main/hard_out", type=tarfile.LNKTYPE, linkname="other/file")
        tar_add(tar, "evil-main/fifo", type=tarfile.FIFOTYPE)
        tar_add(tar, "evil-main/.git/config", b"[core]\n")
        tar_add(tar, "evil-main/good.py", b"x = 2\n")  # the same path again
        if bomb_bytes:
            add_zeros(tar, "evil-main/bomb.py", bomb_bytes)
            tar_add(tar, "evil-main/after_bomb.py", b"never = 1\n")
    return path


def test_tar_with_unsafe_members(tmp_path):
    archive = hostile_tar(tmp_path / "evil-main.tar.gz")
    records, drops = read_all(RepoUnit("archive", str(archive), "evil-main"))
    assert list(records) == ["good.py"] and records["good.py"].text == "x = 1\n"
    assert reasons(drops) == {
        "unsafe_path": 2,
        "symlink_outside_repo": 3,
        "symlink_in_repo": 1,
        "not_regular_file": 1,
        "duplicate_path": 1,
    }
    details = " | ".join(d.detail for d in drops)
    assert "../../escape.py: parent directory" in details and "/etc/cron.d/evil: absolute path" in details
    assert str(archive) in details


def test_tar_decompression_bomb_stops_reading(tmp_path):
    archive = hostile_tar(tmp_path / "evil-main.tgz", bomb_bytes=50_000_000)
    assert archive.stat().st_size < 1_000_000
    records, drops = read_all(
        RepoUnit("archive", str(archive), "evil-main"), max_archive_bytes=2_000_000, max_file_bytes=100_000_000
    )
    assert list(records) == ["good.py"]
    counts = reasons(drops)
    assert counts["archive_too_large"] == 1 and "after_bomb.py" not in " ".join(d.detail for d in drops)
    # With a file cap below the bomb, the member is refused by its header, and skipping it still counts.
    records, drops = read_all(RepoUnit("archive", str(archive), "evil-main"), max_archive_bytes=2_000_000)
    assert reasons(drops)["too_large"] == 1 and reasons(drops)["archive_too_large"] == 1


def test_truncated_and_corrupt_archives(tmp_path):
    rng = random.Random(7)  # distinct content per file, so half the gzip holds about half the files
    repo = write_files(
        tmp_path / "proj",
        {f"f{i:02d}.py": "".join(f"v{rng.getrandbits(64):x} = {j}\n" for j in range(200)) for i in range(30)},
    )
    whole = tmp_path / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as tar:
        tar.add(repo, arcname="proj")
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    records, drops = read_all(RepoUnit("archive", str(truncated), "cut"))
    assert 0 < len(records) < 30
    # The member being read when the data ended (if any) and the rest of the archive: both `unreadable`.
    assert set(reasons(drops)) == {"unreadable"} and "cut.tar.gz: corrupt or truncated archive" in drops[-1].detail
    for name, data in [("junk.tar.gz", b"not gzip at all"), ("junk.zip", b"PK\x03\x04 broken"), ("e.tar", b"")]:
        (tmp_path / name).write_bytes(data)
        records, drops = read_all(RepoUnit("archive", str(tmp_path / name), "junk"))
        assert records == {} and reasons(drops) == {"unreadable": 1} and name in drops[0].detail


def test_zip_with_unsafe_members_and_bomb(tmp_path):
    archive = tmp_path / "z.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("z-main/ok.py", "ok = 1\n")
        zf.writestr("z-main/../up.py", "x\n")
        zf.writestr("/abs.py", "x\n")
        zf.writestr("z-main\\..\\..\\win.py", "x\n")
        link = zipfile.ZipInfo("z-main/link.py")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "../../etc/passwd")
        for i in range(30):
            zf.writestr(f"z-main/zeros{i:02d}.py", bytes(100_000))
    records, drops = read_all(RepoUnit("archive", str(archive), "z"), max_archive_bytes=1_000_000)
    assert list(records) == ["ok.py"]
    counts = reasons(drops)
    assert counts["unsafe_path"] == 3 and counts["symlink_outside_repo"] == 1
    assert counts["archive_too_large"] == 1 and counts["binary"] <= 10  # stopped after ~1 MB of zeros


def test_glob_missing_and_unsupported_entries(tmp_path):
    (tmp_path / "notes.docx").write_bytes(b"x")
    assert [u.kind for u in expand_entry(str(tmp_path / "nothing*.tar.gz"))] == ["missing"]
    assert [u.kind for u in expand_entry(str(tmp_path / "notes.docx"))] == ["unsupported"]
    _, drops = read_all(RepoUnit("missing", str(tmp_path / "x*")))
    assert reasons(drops) == {"input_missing": 1} and "x*" in drops[0].detail
    _, drops = read_all(RepoUnit("unsupported", str(tmp_path / "notes.docx")))
    assert reasons(drops) == {"unsupported_input": 1}


def test_folder_that_cannot_be_listed_is_a_drop(tmp_path, monkeypatch):
    def denied(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("pipeline.sources.github._holds_repo", denied)
    units = list(expand_entry(str(tmp_path)))
    assert [u.kind for u in units] == ["unreadable"]
    _, drops = read_all(units[0])
    assert reasons(drops) == {"unreadable": 1} and "Permission denied" in drops[0].detail


# ------------------------------------------------------------------------------------------------ dumps


def stack_table(n: int) -> pa.Table:
    return pa.table(
        {
            "max_stars_repo_name": [f"org/r{i % 3}" for i in range(n)],
            "max_stars_repo_path": [f"src/f{i}.py" for i in range(n)],
            "content": [f"x = {i}\n" for i in range(n)],
            "max_stars_count": [i for i in range(n)],
            "max_stars_repo_licenses": [["MIT", "Apache-2.0"]] * n,
            "gha_created_at": ["2015-01-01T00:00:00Z" if i % 2 else "2024-02-01T10:00:00Z" for i in range(n)],
        }
    )


def test_parquet_dump_in_row_groups_and_batches(tmp_path):
    path = tmp_path / "data" / "train-00000.parquet"
    path.parent.mkdir()
    pq.write_table(stack_table(10), path, row_group_size=4)
    units = [u for entry in expand_entry(str(tmp_path / "data" / "*.parquet")) for u in split_unit(entry)]
    assert [(u.kind, u.part) for u in units] == [("parquet", 0), ("parquet", 1), ("parquet", 2)]
    import datetime as dt

    records, drops = {}, []
    for unit in units:
        got, dropped = read_all(unit, dump_batch_rows=3, created_before=dt.date(2023, 11, 1))
        records.update(got)
        drops += dropped
    assert len(records) == 5 and reasons(drops) == {"created_after_cutoff": 5}
    rec = records["src/f3.py"]
    assert rec.repo == "org/r0" and rec.id == stable_id("org/r0", "src/f3.py") and rec.text == "x = 3\n"
    assert rec.repo_stars == 3 and rec.repo_license == "MIT AND Apache-2.0" and rec.repo_created_at == "2015-01-01"
    assert "train-00000.parquet:row 2" in next(d.detail for d in drops if d.id == stable_id("org/r2", "src/f2.py"))


def test_parquet_bad_rows_missing_columns_and_custom_names(tmp_path):
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"repo_name": ["a", None, "c"], "path": ["x.py", "y.py", "z.py"], "content": ["1", "2", None]}), bad)
    records, drops = read_all(RepoUnit("parquet", str(bad), part=0))
    assert list(records) == ["x.py"] and reasons(drops) == {"dump_bad_row": 2}
    odd = tmp_path / "odd.parquet"
    pq.write_table(pa.table({"project": ["p"], "file": ["m.py"], "source": ["m = 1\n"]}), odd)
    _, drops = read_all(RepoUnit("parquet", str(odd), part=0))
    assert reasons(drops) == {"dump_missing_columns": 1} and "repo (one of" in drops[0].detail
    columns = DumpColumns(repo=("project",), path=("file",), content=("source",))
    records, drops = read_all(RepoUnit("parquet", str(odd), part=0), dump_columns=columns)
    assert drops == [] and records["m.py"].repo == "p"
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    units = list(split_unit(RepoUnit("parquet", str(tmp_path / "junk.parquet"))))
    _, drops = read_all(units[0])
    assert reasons(drops) == {"unreadable": 1} and "junk.parquet" in drops[0].detail


def test_jsonl_dumps_plain_gzipped_and_broken(tmp_path):
    rows = [
        {"repo_name": "o/a", "path": "a.py", "content": "a = 1\n", "stars": 5},
        {"repo_name": "o/a", "path": "big.py", "content": "x" * 5000},
        "not an object",
        {"repo_name": "o/b", "path": "s.py", "content": "\ud800"},
        {"repo_name": "o/b", "path": "n.py", "content": "a\x00b"},
        {"repo_name": "o/b", "path": "e.py", "content": ""},
    ]
    lines = [json.dumps(r) for r in rows] + ["{broken json", json.dumps({"repo_name": "o/c", "path": "z.py", "content": "z\n"})]
    plain = tmp_path / "d.jsonl"
    plain.write_text("\n".join(lines) + "\n")
    records, drops = read_all(RepoUnit("jsonl", str(plain)), max_file_bytes=1000)
    assert sorted(records) == ["a.py", "z.py"] and records["a.py"].repo_stars == 5
    assert reasons(drops) == {"too_large": 1, "dump_bad_row": 2, "undecodable": 1, "binary": 1, "empty_file": 1}
    assert any("d.jsonl:line 3" in d.detail for d in drops)
    gz = tmp_path / "d.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert sorted(read_all(RepoUnit("jsonl", str(gz)), max_file_bytes=1000)[0]) == ["a.py", "z.py"]
    # A line far over the cap is skipped without being held, and reading goes on.
    long = tmp_path / "long.jsonl"
    long.write_text(json.dumps({"repo_name": "o", "path": "h.py", "content": "y" * 200_000}) + "\n" + lines[0] + "\n")
    records, drops = read_all(RepoUnit("jsonl", str(long)), max_file_bytes=1000)
    assert list(records) == ["a.py"] and reasons(drops) == {"too_large": 1}
    # A gzip cut mid-member: the rows before the cut are kept, then one drop names the file.
    many = "".join(json.dumps({"repo_name": "o", "path": f"p{i}.py", "content": f"v = {i}\n" * 50}) + "\n" for i in range(400))
    cut = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress(many.encode())
    cut.write_bytes(whole[: len(whole) // 2])
    records, drops = read_all(RepoUnit("jsonl", str(cut)))
    assert 0 < len(records) < 400 and reasons(drops) == {"unreadable": 1} and "cut.jsonl.gz" in drops[0].detail


# ------------------------------------------------------------------------------------------------ metadata


def test_metadata_side_files_jsonl_and_csv(tmp_path):
    jsonl = tmp_path / "meta.jsonl"
    jsonl.write_text(
        json.dumps({"full_name": "Org/Proj", "html_url": "https://github.com/Org/Proj", "created_at": "2020-05-01T12:00:00Z",
                    "stargazers_count": 42, "license": {"spdx_id": "Apache-2.0"}}) + "\n" + "[1, 2]\n"
    )
    assert list(metadata_rows(str(jsonl))) == [
        ("org/proj", RepoMeta(url="https://github.com/Org/Proj", created_at="2020-05-01", stars=42, license="Apache-2.0"))
    ]
    csv_path = tmp_path / "meta.csv"
    csv_path.write_text("repo,url,created_at,stars,license\nproj,https://x/proj,2023-12-24,\"1,234\",GPL-3.0\n")
    assert list(metadata_rows(str(csv_path))) == [
        ("proj", RepoMeta(url="https://x/proj", created_at="2023-12-24", stars=1234, license="GPL-3.0"))
    ]


def test_cutoff_on_folder_repositories(tmp_path):
    import datetime as dt

    repo = write_files(tmp_path / "proj", SAMPLE)
    cutoff = dt.date(2023, 11, 1)
    late = RepoUnit("dir", str(repo), "proj", meta=RepoMeta(created_at="2023-11-01"))
    records, drops = read_all(late, created_before=cutoff)
    assert records == {} and reasons(drops) == {"created_after_cutoff": len(SAMPLE)}
    early = RepoUnit("dir", str(repo), "proj", meta=RepoMeta(created_at="2023-10-31", stars=7, license="BSD-3-Clause"))
    records, _ = read_all(early, created_before=cutoff)
    rec = records["src/app.py"]
    assert rec.repo_created_at == "2023-10-31" and rec.repo_stars == 7 and rec.repo_license == "BSD-3-Clause"
    assert "cutoff" not in rec.meta
    records, _ = read_all(RepoUnit("dir", str(repo), "proj"), created_before=cutoff)
    assert len(records) == len(SAMPLE) and records["README.md"].meta["cutoff"] == "created_at_unknown"


@pytest.mark.parametrize(
    "text, spdx",
    [
        (MIT, "MIT"),
        ("Apache License\n Version 2.0, January 2004\n", "Apache-2.0"),
        ("GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007", "GPL-3.0"),
        ("GNU LESSER GENERAL PUBLIC LICENSE\nVersion 2.1, February 1999", "LGPL-2.1"),
        ("Redistribution and use in source and binary forms ... Neither the name of", "BSD-3-Clause"),
        ("All rights reserved by ACME.", "NOASSERTION"),
    ],
)
def test_spdx_by_keywords(text, spdx):
    assert spdx_from_text(text) == spdx


def test_small_metadata_parsers(tmp_path):
    assert parse_date("2023-10-31T23:30:00-02:00") == "2023-11-01"  # UTC
    assert parse_date("2015-03-01") == "2015-03-01" and parse_date("soon") == "" and parse_date(None) == ""
    assert clean_url("https://user:secret@github.com/a/b.git") == "https://github.com/a/b.git"
    (tmp_path / "config").write_text('[core]\n\tbare = true\n[remote "origin"]\n\turl = git@github.com:a/b.git\n')
    assert origin_url(str(tmp_path)) == "git@github.com:a/b.git"


# ------------------------------------------------------------------------------------------------ config


def test_config_errors_name_the_key(tmp_path):
    config = parse_config({"inputs": {"github": {"paths": ["missing_dir"]}}}, str(tmp_path / "c.yaml"))
    with pytest.raises(ConfigError, match=r"inputs\.github\.paths\.0: no such file or folder"):
        github_entries(config)
    (tmp_path / "meta.txt").write_text("x")
    config = parse_config({"github": {"metadata": "meta.txt"}}, str(tmp_path / "c.yaml"))
    with pytest.raises(ConfigError, match=r"github\.metadata: .*meta\.txt"):
        metadata_location(config)
    (tmp_path / "meta.csv").write_text("name_of_thing,stars\nx,1\n")
    config = parse_config({"github": {"metadata": "meta.csv"}}, str(tmp_path / "c.yaml"))
    with pytest.raises(ConfigError, match="no repository column"):
        metadata_location(config)
    with pytest.raises(ConfigError, match="max_archive_bytes"):
        parse_config({"github": {"max_file_bytes": 100, "max_archive_bytes": 10}})
    limits = read_limits(parse_config({"github": {"dump_columns": {"repo": ["project"]}}}).github)
    assert limits.dump_columns.repo == ("project",) and limits.dump_columns.path == DumpColumns().path


# ------------------------------------------------------------------------------------------------ Beam


def test_source_transform_in_beam(tmp_path):
    repos = tmp_path / "repos"
    write_files(repos / "alpha", {"a.py": "a = 1\n", "b.py": b"\x00\x01"})
    write_files(repos / "beta", {"c.py": "c = 1\n"})
    os.symlink("/etc/passwd", repos / "beta" / "leak.py")
    with tarfile.open(tmp_path / "gamma.tar.gz", "w:gz") as tar:
        tar.add(write_files(tmp_path / "g", {"g.py": "g = 1\n"}), arcname="gamma-main")
        tar_add(tar, "../escape.py", b"x\n")
    (tmp_path / "rows.jsonl").write_text(json.dumps({"repo_name": "o/d", "path": "d.py", "content": "d = 1\n"}) + "\n")
    (tmp_path / "meta.jsonl").write_text(
        json.dumps({"repo": "alpha", "stars": 9, "created_at": "2020-01-01"}) + "\n"
        + json.dumps({"repo": "beta", "created_at": "2024-01-01"}) + "\n"
    )
    config = parse_config(
        {
            "inputs": {"github": {"paths": ["repos", "*.tar.gz", "rows.jsonl"]}},
            "github": {"metadata": "meta.jsonl", "created_before": "2023-11-01"},
        },
        str(tmp_path / "c.yaml"),
    )
    with BeamTestPipeline() as p:
        funnel = Funnel()
        records = read_github_code(p, funnel, config)
        assert_that(
            records | beam.Map(lambda r: (r.repo, r.path, r.repo_stars)),
            equal_to([("alpha", "a.py", 9), ("gamma", "g.py", None), ("o/d", "d.py", None)]),
            label="kept",
        )
        drops = funnel.drops[0] | beam.Map(lambda sd: (sd[0], sd[1].reason))
        assert_that(
            drops,
            equal_to(
                [
                    ("github_source", "binary"),
                    ("github_source", "created_after_cutoff"),
                    ("github_source", "symlink_outside_repo"),
                    ("github_source", "unsafe_path"),
                ]
            ),
            label="drops",
        )


def test_codecorpus_run_on_hostile_inputs_keeps_accounting(tmp_path, capsys):
    """The whole pipeline over a corpus of broken inputs: it finishes and every file is counted."""
    from pipeline.accounting import accounting_errors, read_funnel
    from pipeline.cli import main

    write_files(tmp_path / "in" / "repo", {"ok.py": "def f():\n    return 1\n", "bin.py": b"\x7fELF\x00", "u.py": b"\xff\xfe\x00\xd8"})
    os.symlink(".", tmp_path / "in" / "repo" / "loop")
    hostile_tar(tmp_path / "in" / "evil-main.tar.gz", bomb_bytes=5_000_000)
    (tmp_path / "in" / "cut.tar.gz").write_bytes(gzip.compress(b"x" * 10_000)[:50])
    config = tmp_path / "c.yaml"
    config.write_text(
        "inputs:\n  github:\n    paths: [in/repo, 'in/*.tar.gz']\n"
        "github:\n  max_archive_bytes: 1000000\n  max_file_bytes: 100000\noutput:\n  num_shards: 1\n"
    )
    assert main(["run", "--config", str(config), "--output", str(tmp_path / "out")]) == 0
    funnel = read_funnel(str(tmp_path / "out"))
    assert accounting_errors(funnel) == []
    source = next(stage for stage in funnel if stage.stage == "github_source")
    assert source.n_out == 2  # ok.py and the tar's good.py
    assert {"binary", "undecodable", "symlink_in_repo", "unsafe_path", "archive_too_large", "unreadable"} <= set(source.drops)
    assert "accounting" in capsys.readouterr().out


def test_git_archive_without_prefix_keeps_its_first_folder(tmp_path):
    files = {".github/workflows/x.yml": "on: push\n", ".devcontainer/d.json": "{}\n", "src/a.py": "a = 1\n", **SAMPLE}
    bare = bare_repo(tmp_path, files)
    for fmt, suffix in (("tar.gz", ".tar.gz"), ("zip", ".zip")):
        archive = tmp_path / f"proj{suffix}"
        git("archive", f"--format={fmt}", "-o", str(archive), "HEAD", cwd=bare)
        records, drops = read_all(next(expand_entry(str(archive))))
        assert drops == [] and sorted(records) == sorted(files), fmt
    with tarfile.open(tmp_path / "one.tar", "w") as tar:  # a single top folder of files only is the wrapper
        tar_add(tar, "one-main", type=tarfile.DIRTYPE)
        tar_add(tar, "one-main/x.py", b"x = 1\n")
    records, _ = read_all(next(expand_entry(str(tmp_path / "one.tar"))))
    assert sorted(records) == ["x.py"]


def test_repositories_with_the_same_folder_name_stay_apart(tmp_path):
    for owner, body in (("x", "all:\n\techo x\n"), ("y", "all:\n\techo y\n")):
        bare = bare_repo(tmp_path / owner, {"Makefile": body, "main.c": f"int {owner};\n"}, name="repo")
        (tmp_path / "mirrors" / owner).mkdir(parents=True)
        shutil.move(str(bare), str(tmp_path / "mirrors" / owner / "repo.git"))
        with tarfile.open(tmp_path / "mirrors" / owner / "proj-main.tar.gz", "w:gz") as tar:
            tar.add(write_files(tmp_path / owner / "p", {"Makefile": body}), arcname="proj-main")
    units = [u for owner in "xy" for entry in ("repo.git", "proj-main.tar.gz")
             for u in expand_entry(str(tmp_path / "mirrors" / owner / entry), f"mirrors/{owner}/{entry}")]
    assert sorted(u.name for u in units) == ["proj-main", "proj-main", "repo", "repo"]
    from pipeline.sources.github import unique_names

    named = [u for name in ("repo", "proj-main") for u in unique_names([u for u in units if u.name == name])]
    assert sorted(u.name for u in named) == ["x/proj-main", "x/repo", "y/proj-main", "y/repo"]
    assert unique_names(list(reversed(units[:1] + units[2:3]))) == unique_names(units[:1] + units[2:3])[::-1]
    assert unique_names([units[0], units[0]]) == [units[0], units[0]]  # the same input twice: one repository
    config = parse_config(
        {"inputs": {"github": {"paths": ["mirrors/x/repo.git", "mirrors/y/repo.git", "mirrors/*/proj-main.tar.gz"]}}},
        str(tmp_path / "c.yaml"),
    )
    with BeamTestPipeline() as p:
        records = read_github_code(p, Funnel(), config)
        assert_that(
            records | beam.Map(lambda r: (r.repo, r.path, r.text.split()[-1])),
            equal_to(
                [
                    ("x/repo", "Makefile", "x"), ("x/repo", "main.c", "x;"),
                    ("y/repo", "Makefile", "y"), ("y/repo", "main.c", "y;"),
                    ("x/proj-main", "Makefile", "x"), ("y/proj-main", "Makefile", "y"),
                ]
            ),
        )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"LICENSE": MIT}, "MIT"),
        (  # ripgrep's layout: a statement plus one file per licence
            {
                "COPYING": "This project is dual-licensed under the Unlicense and MIT licenses.\n\nYou may use this "
                "code under the terms of either license.\n",
                "LICENSE-MIT": MIT,
                "UNLICENSE": "This is free and unencumbered software released into the public domain.\n",
            },
            "Unlicense OR MIT",
        ),
        ({"LICENSE-APACHE": "Apache License\nVersion 2.0, January 2004\n", "LICENSE-MIT": MIT}, "Apache-2.0 OR MIT"),
        ({"LICENSE": "SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note\n"}, "GPL-2.0-only WITH Linux-syscall-note"),
        ({"LICENSE": MIT + "\n\nThird-party code: Apache License\nVersion 2.0 (see below)\n"}, "Apache-2.0 AND MIT"),
        ({"LICENSE": "GNU LESSER GENERAL PUBLIC LICENSE\nVersion 3\n... the GNU General Public License, version 3 ..."}, "LGPL-3.0"),
        ({"LICENSE": "All rights reserved.\n"}, "NOASSERTION"),
    ],
)
def test_licences_as_spdx_expressions(tmp_path, files, expected):
    for kind in ("dir", "archive"):
        root = write_files(tmp_path / kind / "proj", {**files, "a.py": "a = 1\n"})
        if kind == "dir":
            unit = RepoUnit("dir", str(root), "proj")
        else:
            with tarfile.open(tmp_path / "proj-main.tar.gz", "w:gz") as tar:
                tar.add(root, arcname="proj-main")
            unit = next(expand_entry(str(tmp_path / "proj-main.tar.gz")))
        records, _ = read_all(unit)
        assert records["a.py"].repo_license == expected, kind
        assert records["a.py"].meta["license_file"] == ", ".join(sorted(files, key=license_order)), kind
