"""The media store: the bytes of photos, content-addressed by their sha256.

Two kinds with the same face (``MediaStore``): a folder (``LocalMediaStore``,
the default, beside the SQLite database) and an S3-compatible object store
(``S3MediaStore``, through boto3: MinIO, Ceph, a cloud's OSS) for several
hosts sharing one store. A key is the sha256 of the bytes, so putting the
same bytes again is harmless and a retry needs no bookkeeping; the bytes are
checked against their key on the way in.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
OCTET_STREAM = "application/octet-stream"


class MediaStore(Protocol):
    """Where the bytes of photos are kept, by the hex sha256 of the bytes."""

    def put(self, sha256: str, data: bytes, content_type: str) -> None:
        """Keep ``data`` under ``sha256`` (its hash); again is harmless."""

    def get(self, sha256: str) -> tuple[bytes, str] | None:
        """(bytes, content type) kept under ``sha256``, or None."""


def _checked(sha256: str, data: bytes | None = None, content_type: str | None = None) -> str:
    """``sha256`` if it is a hex sha256 (of ``data``, when given); ValueError if not.

    The key becomes a file name and an object key: nothing but 64 hex digits.
    """
    if not isinstance(sha256, str) or not _SHA256.match(sha256):
        raise ValueError(f"a media key is a lowercase hex sha256, not {sha256!r}")
    if data is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"the bytes given do not hash to {sha256}")
    if content_type is not None and not _TYPE.match(content_type):
        raise ValueError(f"not a content type: {content_type!r}")
    return sha256


class LocalMediaStore:
    """A folder: the bytes at ``root/ab/abcdef…`` and their content type beside
    them in ``abcdef….type``.

    Each file is written to a temporary file in the same folder, flushed to
    disk, and renamed over its name (atomic on POSIX and Windows): a reader
    never sees half a photo, and a crash leaves at most a stray temporary
    file. The type is written before the bytes, so bytes found have a type.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalMediaStore({str(self.root)!r})"

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, sha256: str, data: bytes, content_type: str) -> None:
        path = self._path(_checked(sha256, data, content_type))
        if path.exists() and path.stat().st_size == len(data):
            return  # the same key is the same bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path.with_name(sha256 + ".type"), content_type.encode("ascii"))
        _write_atomically(path, data)

    def get(self, sha256: str) -> tuple[bytes, str] | None:
        path = self._path(_checked(sha256))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            content_type = path.with_name(sha256 + ".type").read_text("ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            content_type = OCTET_STREAM
        return data, content_type


def _write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path``, all or nothing, on disk when this returns."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):  # the rename itself, durable (POSIX)
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


class S3MediaStore:
    """A bucket of an S3-compatible object store, objects at ``prefix + ab/abcdef…``.

    Credentials come the way boto3 finds them (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, a profile, an instance role); ``endpoint_url``
    points at a store other than AWS (``http://127.0.0.1:9000`` for MinIO).
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "",
        client=None,
    ):
        if client is None:
            import boto3  # here: a folder store starts without it
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                region_name=region or None,
                config=Config(
                    connect_timeout=5,
                    read_timeout=30,
                    retries={"max_attempts": 3, "mode": "standard"},
                    s3={"addressing_style": "path"} if endpoint_url else None,
                ),
            )
        self.bucket = bucket
        self.prefix = prefix
        self.client = client  # boto3 clients are safe to share between threads

    def __repr__(self) -> str:
        return f"S3MediaStore({self.bucket!r}, prefix={self.prefix!r})"

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}{sha256[:2]}/{sha256}"

    def put(self, sha256: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(_checked(sha256, data, content_type)),
            Body=data,
            ContentType=content_type,
        )

    def get(self, sha256: str) -> tuple[bytes, str] | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(_checked(sha256)))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        with contextlib.closing(answer["Body"]) as body:
            return body.read(), answer.get("ContentType") or OCTET_STREAM


def open_media_store(url: str) -> MediaStore:
    """The media store that ``url`` names.

    ``file:///abs/path`` or a plain path: a folder (made when first written).
    ``s3://bucket?endpoint=http://127.0.0.1:9000&region=cn-north-1&prefix=photos/``:
    a bucket; endpoint, region and prefix are optional.
    Raises ValueError for any other scheme or an S3 URL without a bucket.
    """
    if "://" not in url:
        return LocalMediaStore(Path(url).expanduser())
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"a file URL names a local folder: file:///abs/path, not {url!r}")
        return LocalMediaStore(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"an S3 media URL names its bucket: s3://bucket?…, not {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = sorted(set(query) - {"endpoint", "region", "prefix"})
        if unknown:
            raise ValueError(f"an S3 media URL takes endpoint, region and prefix, not {unknown}")
        return S3MediaStore(
            parts.netloc,
            endpoint_url=query.get("endpoint"),
            region=query.get("region"),
            prefix=query.get("prefix", ""),
        )
    raise ValueError(f"a media store is a folder, file:///… or s3://…, not {url!r}")
