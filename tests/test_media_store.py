"""The media store (data/media_store.py): a folder, and an S3 bucket served by
moto's S3 server on 127.0.0.1 (a real HTTP server speaking S3, reached
through boto3 as a MinIO would be; nothing mocked in this process)."""

from __future__ import annotations

import hashlib
import os
import socket
import threading

import boto3
import pytest

from data.media_store import LocalMediaStore, S3MediaStore, open_media_store

PHOTO = b"\xff\xd8\xff\xe0" + os.urandom(5000)
KEY = hashlib.sha256(PHOTO).hexdigest()
OTHER = hashlib.sha256(b"nothing stored").hexdigest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server in server mode on 127.0.0.1, with throwaway credentials."""
    from moto.server import ThreadedMotoServer

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def bucket(s3_endpoint, request):
    name = f"photos-{request.node.name.lower().replace('_', '-')[:40]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return name


def assert_keeps_and_gives_back(media):
    assert media.get(KEY) is None
    media.put(KEY, PHOTO, "image/jpeg")
    assert media.get(KEY) == (PHOTO, "image/jpeg")
    media.put(KEY, PHOTO, "image/jpeg")  # a retry: the same key, harmless
    assert media.get(KEY) == (PHOTO, "image/jpeg")
    assert media.get(OTHER) is None


def assert_refuses_bad_keys(media):
    with pytest.raises(ValueError, match="do not hash"):
        media.put(OTHER, PHOTO, "image/jpeg")
    for key in ("../../etc/passwd", KEY.upper(), KEY[:-1], ""):
        with pytest.raises(ValueError, match="hex sha256"):
            media.get(key)
    with pytest.raises(ValueError, match="content type"):
        media.put(KEY, PHOTO, "image/jpeg\r\nX-Evil: 1")


def test_a_folder_keeps_bytes_under_their_hash(tmp_path):
    media = LocalMediaStore(tmp_path / "media")
    assert_keeps_and_gives_back(media)
    assert (tmp_path / "media" / KEY[:2] / KEY).read_bytes() == PHOTO
    leftovers = [p.name for p in (tmp_path / "media" / KEY[:2]).iterdir()]
    assert sorted(leftovers) == [KEY, KEY + ".type"]  # no temporary file left behind
    assert_refuses_bad_keys(media)


def test_a_folder_store_shared_by_threads_writing_the_same_photo(tmp_path):
    media = LocalMediaStore(tmp_path)
    errors = []

    def put():
        try:
            media.put(KEY, PHOTO, "image/jpeg")
        except Exception as error:  # pragma: no cover - shown by the assert
            errors.append(error)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert media.get(KEY) == (PHOTO, "image/jpeg")


def test_an_s3_bucket_keeps_bytes_under_their_hash(s3_endpoint, bucket):
    media = S3MediaStore(bucket, endpoint_url=s3_endpoint, region="us-east-1", prefix="gc/")
    assert_keeps_and_gives_back(media)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    stored = client.get_object(Bucket=bucket, Key=f"gc/{KEY[:2]}/{KEY}")
    assert stored["Body"].read() == PHOTO
    assert stored["ContentType"] == "image/jpeg"
    assert_refuses_bad_keys(media)


def test_an_s3_store_opened_by_its_url(s3_endpoint, bucket):
    media = open_media_store(f"s3://{bucket}?endpoint={s3_endpoint}&region=us-east-1")
    assert isinstance(media, S3MediaStore)
    assert_keeps_and_gives_back(media)


def test_an_unknown_bucket_is_an_error_not_a_missing_photo(s3_endpoint):
    from botocore.exceptions import ClientError

    media = S3MediaStore("no-such-bucket", endpoint_url=s3_endpoint, region="us-east-1")
    with pytest.raises(ClientError):
        media.get(KEY)


def test_urls_and_paths_open_folders(tmp_path):
    by_url = open_media_store(f"file://{tmp_path}/a")
    by_path = open_media_store(str(tmp_path / "b"))
    assert isinstance(by_url, LocalMediaStore) and by_url.root == tmp_path / "a"
    assert isinstance(by_path, LocalMediaStore) and by_path.root == tmp_path / "b"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/photos", "a folder, file:///"),
        ("s3://?region=x", "names its bucket"),
        ("s3://photos?endpont=http://127.0.0.1:9000", "endpoint, region and prefix"),
        ("file://otherhost/photos", "local folder"),
    ],
)
def test_bad_media_urls_are_refused(url, message):
    with pytest.raises(ValueError, match=message):
        open_media_store(url)
