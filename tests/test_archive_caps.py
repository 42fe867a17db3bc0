"""Archives cost memory in proportion to one member, never to their expansion (issue 12): tar headers are not
kept, member counts and zip central directories are capped before they are held, a zip member must hold the
bytes its directory declares, and a repository's files are read up to `github.max_repo_bytes`. Every breach
is a named drop; the cases are generated around each cap."""
from __future__ import annotations

import struct
import tarfile
import zipfile
from collections import Counter

import pytest
from archive_fixtures import tar_add
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.record import Drop, Record
from pipeline.sources.github import ReadLimits, RepoUnit, read_unit
from pipeline.sources.repo_archive import TarTree, ZipTree

EOCD = b"PK\x05\x06"


def _read(path, **limits) -> list[Record | Drop]:
    return list(read_unit(RepoUnit("archive", str(path), "proj"), ReadLimits(**limits)))


def _reasons(items) -> Counter:
    return Counter(x.reason if isinstance(x, Drop) else "record" for x in items)


def _tar(path, n: int, size: int = 8) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for i in range(n):
            tar_add(tar, f"proj-main/m{i:05d}.py", (b"x = %d\n" % i).ljust(size, b"#"))


def _zip(path, n: int, size: int = 8) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(n):
            zf.writestr(f"proj-main/m{i:05d}.py", (b"x = %d\n" % i).ljust(size, b"#"))


def test_a_tar_stream_keeps_no_header_but_the_current_one(tmp_path):
    path = tmp_path / "proj-main.tar.gz"
    _tar(path, 50)
    held = [len(tar.members) for tar, _ in TarTree(str(path), max_archive_bytes=1 << 30)._stream()]
    assert len(held) == 50 and max(held) == 0


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(["tar.gz", "zip"]), st.integers(5, 40), st.integers(-3, 3))
def test_members_past_the_cap_end_the_archive_with_a_named_drop(tmp_path_factory, kind, cap, over):
    path = tmp_path_factory.mktemp("members") / f"proj-main.{kind}"
    n = cap + over
    (_tar if kind == "tar.gz" else _zip)(path, n)
    reasons = _reasons(_read(path, max_archive_members=cap))
    if n <= cap:
        assert reasons == {"record": n}
    else:
        assert reasons["archive_too_many_members"] == 1 and set(reasons) <= {"record", "archive_too_many_members"}
        assert reasons["record"] == (0 if kind == "zip" else cap)  # a zip is refused before its directory


def _with_end_record(data: bytes, *, entries: int | None = None, size: int | None = None) -> bytes:
    """A zip whose end-of-central-directory record declares other entry counts or directory size."""
    at = data.rindex(EOCD)
    fields = list(struct.unpack("<4s4H2LH", data[at : at + 22]))
    if entries is not None:
        fields[3] = fields[4] = entries
    if size is not None:
        fields[5] = size
    return data[:at] + struct.pack("<4s4H2LH", *fields) + data[at + 22 :]


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 0xFFFE), st.integers(0, 0xFFFFFFFE))
def test_a_zip_end_record_declaring_too_much_is_refused_before_parsing(tmp_path_factory, entries, size):
    folder = tmp_path_factory.mktemp("eocd")
    _zip(folder / "real.zip", 3)
    path = folder / "proj-main.zip"
    path.write_bytes(_with_end_record((folder / "real.zip").read_bytes(), entries=entries, size=size))
    reasons = _reasons(_read(path, max_archive_members=1000, max_zip_directory_bytes=4096))
    if entries > 1000:
        assert reasons == {"archive_too_many_members": 1}
    elif size > 4096:
        assert reasons == {"archive_directory_too_large": 1}
    else:  # within the caps a lying end record is the zip reader's to report (0 entries: an empty zip)
        assert set(reasons) <= {"record", "unreadable"}


def _declare_size(data: bytes, name: bytes, declared: int) -> bytes:
    """The zip with `name`'s uncompressed size in its central directory entry replaced by `declared`."""
    at = data.index(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(name)] != name:
        at = data.index(b"PK\x01\x02", at + 4)
    return data[: at + 24] + struct.pack("<L", declared) + data[at + 28 :]


@settings(max_examples=12, deadline=None)
@given(st.integers(-200, 200).filter(lambda d: d != 0))
def test_a_zip_member_must_hold_the_bytes_its_directory_declares(tmp_path_factory, delta):
    folder = tmp_path_factory.mktemp("declared")
    body = b"def f(x):\n    return x\n" * 20
    with zipfile.ZipFile(folder / "real.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("proj-main/a.py", b"a = 1\n")
        zf.writestr("proj-main/liar.py", body)
        zf.writestr("proj-main/z.py", b"z = 2\n")
    path = folder / "proj-main.zip"
    path.write_bytes(_declare_size((folder / "real.zip").read_bytes(), b"proj-main/liar.py", len(body) + delta))
    items = _read(path)
    assert sorted(x.path for x in items if isinstance(x, Record)) == ["a.py", "z.py"]
    (drop,) = [x for x in items if isinstance(x, Drop)]
    assert drop.reason == "unreadable" and "liar.py" in drop.detail


@pytest.mark.parametrize("kind", ["tar.gz", "zip", "dir"])
@settings(max_examples=8, deadline=None)
@given(st.integers(1_000, 20_000))
def test_files_past_the_repository_byte_cap_are_named_drops(tmp_path_factory, kind, cap):
    folder = tmp_path_factory.mktemp("repo")
    size, n = 1000, 30
    if kind == "dir":
        (folder / "proj").mkdir()
        for i in range(n):
            (folder / "proj" / f"m{i:05d}.py").write_bytes((b"x = %d\n" % i).ljust(size, b"#"))
        unit = RepoUnit("dir", str(folder / "proj"), "proj")
    else:
        path = folder / f"proj-main.{kind}"
        (_tar if kind == "tar.gz" else _zip)(path, n, size)
        unit = RepoUnit("archive", str(path), "proj")
    items = list(read_unit(unit, ReadLimits(max_file_bytes=1000, max_repo_bytes=cap)))
    kept = [x.path for x in items if isinstance(x, Record)]
    assert kept == [f"m{i:05d}.py" for i in range(min(n, cap // size))]  # the first files in reading order
    drops = [x for x in items if isinstance(x, Drop)]
    assert len(kept) + len(drops) == n and all(d.reason == "repo_too_large" for d in drops)
    assert all("max_repo_bytes" in d.detail and "m" in d.detail for d in drops)


def test_a_zip_directory_is_checked_in_the_licence_pass_too(tmp_path):
    _zip(tmp_path / "real.zip", 3)
    path = tmp_path / "proj-main.zip"
    path.write_bytes(_with_end_record((tmp_path / "real.zip").read_bytes(), entries=60_000))
    unit = RepoUnit("archive", str(path), "proj")
    tree = ZipTree(str(path), max_archive_bytes=1 << 30, max_members=10)
    assert tree.license_files() == []  # refused quietly: the reading pass names the drop
    assert _reasons(read_unit(unit, ReadLimits(max_archive_members=10))) == {"archive_too_many_members": 1}


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=12), st.integers(0, 3_000), st.booleans())
def test_the_samples_step_holds_a_repository_only_up_to_the_byte_cap(sizes, cap, duplicate):
    """Rows of a file-level dump reach the samples step uncapped: files from the path where the repository
    passes the cap on are `repo_too_large` drops; every file is merged or dropped exactly once."""
    from pipeline.repo_assembly import repo_samples
    from pipeline.stages import Merged

    files = [Record(id=f"id{i}", source="github", text="x" * size + "\n", repo="o/r", path=f"m{i:02d}.py",
                    language="Python") for i, size in enumerate(sizes)]
    if duplicate:
        files.append(files[0].replace(id="dup"))
    results = list(repo_samples((("o/r", ""), files[::-1]), "dependency", 1, None, max_repo_bytes=cap))
    drops = Counter(x.reason for x in results if isinstance(x, Drop))
    merged = sum(x.n for x in results if isinstance(x, Merged))
    assert merged + sum(drops.values()) == len(files)
    totals = [sum(s + 1 for s in sizes[: i + 1]) for i in range(len(sizes))]
    kept = sum(1 for total in totals if total <= cap)
    assert merged == kept and drops["repo_too_large"] == len(sizes) - kept + (duplicate and kept == 0)
    assert drops["duplicate_path"] == (1 if duplicate and kept else 0)
