"""The archive: a tar stream encrypted with age (pyrage) as it is written, and
decrypted, checked and unpacked as it is read. Neither side holds the archive in
memory: a thread moves the tar through a pipe while pyrage encrypts or decrypts
the other end, 64 KiB at a time.

Members are plain files under ``database/``, ``uploads/`` and ``instance/``, and
``manifest.json`` comes last, holding the size and SHA-256 of every other member, so
a reader knows what to expect only after it has read everything. A reader unpacks
into a staging folder and calls the archive good only when the age stream ended
properly (age authenticates every chunk and marks the last one: a truncated file
fails) and every member matches the manifest."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import pyrage
from pyrage import ssh, x25519

MANIFEST = "manifest.json"
FORMAT = "blogapp-backup"
VERSION = 1
PREFIXES = ("database/", "uploads/", "instance/")
CHUNK = 1 << 16
MANIFEST_MAX_BYTES = 1 << 26


class BackupError(Exception):
    """A backup or restore that cannot go on, in words for the operator."""


def parse_recipients(lines: Iterable[str]) -> list[Any]:
    """age public keys (``age1…``) or SSH public keys (``ssh-ed25519 …``), one a line;
    blank lines and ``#`` comments are skipped."""
    found = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("ssh-"):
                found.append(ssh.Recipient.from_str(line))
            else:
                found.append(x25519.Recipient.from_str(line))
        except pyrage.RecipientError as error:
            raise BackupError(f"Not a public key: {line[:40]}… ({error})") from None
    return found


def recipients_from_setting(setting: list[str] | str | None, extra: Iterable[str] = ()) -> list:
    """``BACKUP_RECIPIENTS`` (a list, or one string with a key a line or
    comma-separated) and any more keys given."""
    setting = setting or []
    if isinstance(setting, str):
        setting = setting.replace(",", "\n").splitlines()
    return parse_recipients([*setting, *extra])


def load_identities(path: Path) -> list[Any]:
    """An age identity file (``AGE-SECRET-KEY-1…`` lines, as age-keygen writes) or an
    unencrypted OpenSSH private key."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise BackupError(f"Cannot read the identity file {path}: {error.strerror}.") from None
    return identities_from(data, str(path))


def identities_from(data: bytes, path: str) -> list[Any]:
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            return [ssh.Identity.from_buffer(data)]
        keys = [
            x25519.Identity.from_str(line.strip())
            for line in data.decode("ascii", "replace").splitlines()
            if line.strip().startswith("AGE-SECRET-KEY-")
        ]
    except (pyrage.IdentityError, ValueError) as error:
        raise BackupError(f"{path} holds a key that cannot be read: {error}") from None
    if not keys:
        raise BackupError(f"{path} holds no age secret key (AGE-SECRET-KEY-1…).")
    return keys


class _Hashing(io.RawIOBase):
    """Passes bytes through to or from ``inner``, counting and hashing them."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def write(self, data) -> int:  # type: ignore[override]
        self.sha256.update(data)
        self.size += len(data)
        self.inner.write(data)
        return len(data)


@dataclass(frozen=True)
class Written:
    size: int
    sha256: str  # of the encrypted file: what a verify run names the archive by
    manifest: dict


def write_archive(
    target: Path,
    recipients: list[Any],
    members: list[tuple[str, Path]],
    manifest: dict,
) -> Written:
    """Encrypt a tar of ``members`` (name in the archive, file on disk), then the
    manifest (``manifest`` with every member's size and hash added), to ``target``:
    written to ``target.partial`` and renamed once complete."""
    if not recipients:
        raise BackupError(
            "No public key to encrypt to: set BLOGAPP_BACKUP_RECIPIENTS or give --recipient."
        )
    files: dict[str, dict] = {}

    def produce(out: BinaryIO) -> None:
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for name, path in members:
                with path.open("rb") as handle:
                    stat = os.fstat(handle.fileno())
                    size = stat.st_size
                    info = tarfile.TarInfo(name)
                    # The time is kept: nginx's Last-Modified for an upload stays the same.
                    info.size, info.mode, info.mtime = size, 0o600, int(stat.st_mtime)
                    hashing = _Hashing(handle)  # type: ignore[arg-type]
                    try:
                        tar.addfile(info, hashing)  # type: ignore[arg-type]
                    except OSError as error:  # a file shrank while it was read
                        raise BackupError(f"{path} changed during the backup.") from error
                files[name] = {"size": size, "sha256": hashing.sha256.hexdigest()}
            body = json.dumps({**manifest, "files": files}, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, 0
            tar.addfile(info, io.BytesIO(body))

    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("wb") as raw:
            os.chmod(partial, 0o600)
            counted = _Hashing(raw)  # type: ignore[arg-type]
            _through_pipe(produce, lambda r: pyrage.encrypt_io(r, counted, recipients))
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return Written(counted.size, counted.sha256.hexdigest(), {**manifest, "files": files})


@dataclass(frozen=True)
class Unpacked:
    folder: Path  # database/, uploads/, instance/ as in the archive
    manifest: dict
    sha256: str  # of the encrypted file


def read_archive(source: Path, identities: list[Any], staging: Path) -> Unpacked:
    """Decrypt ``source`` and unpack it into ``staging`` (an empty folder), checking
    every member against the manifest. Raises ``BackupError`` for a wrong key, a
    truncated or altered archive, or a member that does not belong."""
    if not source.is_file():
        raise BackupError(f"No archive at {source}.")
    seen: dict[str, dict] = {}
    manifest: dict | None = None

    def consume(stream: BinaryIO) -> None:
        nonlocal manifest
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for info in tar:
                    name = _checked_name(info)
                    handle = tar.extractfile(info)
                    assert handle is not None  # a regular file (_checked_name)
                    if name == MANIFEST:
                        if info.size > MANIFEST_MAX_BYTES:
                            raise BackupError("The archive's manifest is implausibly large.")
                        manifest = json.loads(handle.read())
                        continue
                    path = staging / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    digest = hashlib.sha256()
                    with path.open("wb") as out:
                        while block := handle.read(CHUNK):
                            digest.update(block)
                            out.write(block)
                    os.utime(path, (info.mtime, info.mtime))
                    seen[name] = {"size": info.size, "sha256": digest.hexdigest()}
        except (tarfile.TarError, json.JSONDecodeError, UnicodeDecodeError) as error:
            raise BackupError(f"The archive's contents are damaged ({error}).") from None
        # Read to the end, so age checks the last chunk: that is how truncation shows.
        while stream.read(CHUNK):
            pass

    with source.open("rb") as raw:
        counted = _Hashing(raw)  # type: ignore[arg-type]

        def decrypt(write_end: BinaryIO) -> None:
            try:
                pyrage.decrypt_io(counted, write_end, identities)
            except pyrage.DecryptError as error:
                if "no matching keys" in str(error).lower():
                    raise BackupError(
                        f"None of the given keys can open {source.name}: it was encrypted "
                        "to other public keys."
                    ) from None
                raise BackupError(_damaged(source, error)) from None
            except OSError as error:
                if "decrypt" not in str(error).lower():
                    raise  # the pipe closed: the reading side's error is the one to tell
                raise BackupError(_damaged(source, error)) from None

        _through_pipe(decrypt, consume, producer_first=True)
    if manifest is None or manifest.get("format") != FORMAT:
        raise BackupError(f"{source.name} is not a complete blogapp backup (no manifest).")
    if manifest.get("version") != VERSION:
        raise BackupError(f"{source.name} is a backup of format {manifest.get('version')}.")
    if seen != manifest.get("files"):
        raise BackupError(f"{source.name}'s files do not match its manifest.")
    return Unpacked(staging, manifest, counted.sha256.hexdigest())


def _damaged(source: Path, error: Exception) -> str:
    return f"{source.name} is truncated or damaged and cannot be decrypted ({error})."


def _checked_name(info: tarfile.TarInfo) -> str:
    name = info.name
    path = PurePosixPath(name)
    if (
        not info.isfile()
        or path.is_absolute()
        or ".." in path.parts
        or not (name == MANIFEST or name.startswith(PREFIXES))
    ):
        raise BackupError(f"The archive holds an entry that does not belong: {name!r}.")
    return name


def _through_pipe(
    producer: Callable[[BinaryIO], None],
    consumer: Callable[[BinaryIO], None],
    producer_first: bool = False,
) -> None:
    """Run ``producer`` (writing) in a thread and ``consumer`` (reading) here, joined
    by a pipe, so neither side holds the whole stream. The first error wins; a
    producer's error is raised when the producer is the side that can explain it
    (``producer_first``: the decryption's ``BackupError`` over the truncated tar it
    caused)."""
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "rb")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with os.fdopen(write_fd, "wb") as writer:
                producer(writer)
        except BrokenPipeError:
            pass  # the consumer stopped first: its error is the one to report
        except BaseException as error:  # noqa: B036 - handed to the main thread
            errors.append(error)

    thread = threading.Thread(target=run, name="backup-pipe", daemon=True)
    thread.start()
    consumer_error: BaseException | None = None
    try:
        consumer(reader)
    except BaseException as error:  # noqa: B036 - re-raised below
        consumer_error = error
    finally:
        reader.close()  # a producer still writing gets a broken pipe and stops
        thread.join()
    if errors and (
        consumer_error is None or (producer_first and isinstance(errors[0], BackupError))
    ):
        raise errors[0]
    if consumer_error is not None:
        raise consumer_error
