"""Product images are stored once, under content-derived names, with their real content type."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from duka.catalog.image_store import (
    LocalImageStore,
    SupabaseImageStore,
    get_image_store,
    store_image,
)
from duka.config import ConfigError
from duka_local.demo.synthetic import garment_photo

DEMO_IMAGES = Path(__file__).parents[1] / "shared" / "duka_local" / "demo" / "images"
# Shaped like a Supabase service-role JWT (the client checks the shape, never the signature).
FAKE_SERVICE_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJl"


class FakeStorage:
    """Supabase Storage's object upload endpoint on loopback, recording what it received."""

    def __init__(self) -> None:
        self.uploads: list[dict[str, Any]] = []
        storage = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                form = BytesParser(policy=HTTP).parsebytes(head + body)
                part = next(p for p in form.iter_parts() if p.get_filename())
                storage.uploads.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "upsert": self.headers.get("x-upsert"),
                        "content_type": part.get_content_type(),
                        "data": part.get_payload(decode=True),
                    }
                )
                key = self.path.removeprefix("/storage/v1/object/")
                answer = f'{{"Key": "{key}", "Id": "1"}}'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture()
def storage() -> Iterator[FakeStorage]:
    fake = FakeStorage()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_local_store_keeps_one_copy_per_picture(tmp_path: Path) -> None:
    store = LocalImageStore(tmp_path / "images")
    first = store_image(store, "shop-1", "NY-D002.png", DEMO_IMAGES)
    again = store_image(store, "shop-1", str(DEMO_IMAGES / "NY-D002.png"), tmp_path)
    assert first == again and Path(first).read_bytes() == (DEMO_IMAGES / "NY-D002.png").read_bytes()
    assert len(list((tmp_path / "images" / "shop-1").iterdir())) == 1


def test_without_supabase_or_a_folder_the_store_refuses_instead_of_guessing(
    settings_env: Callable[..., None], tmp_path: Path
) -> None:
    settings_env(SUPABASE_URL=None, SUPABASE_SERVICE_ROLE_KEY=None, PRODUCT_IMAGE_DIR=None)
    with pytest.raises(ConfigError, match="PRODUCT_IMAGE_DIR"):
        get_image_store()

    settings_env(PRODUCT_IMAGE_DIR=str(tmp_path))
    assert get_image_store() == LocalImageStore(tmp_path)


def test_image_urls_are_kept_as_they_are(tmp_path: Path) -> None:
    url = "https://cdn.example.com/dress.png"
    assert store_image(LocalImageStore(tmp_path), "shop-1", url, tmp_path) == url


def test_supabase_upload_sends_the_real_content_type_and_returns_the_public_url(
    storage: FakeStorage, tmp_path: Path
) -> None:
    photo = tmp_path / "dress.png"  # a JPEG with a misleading name
    photo.write_bytes(garment_photo("dress", ["red"]))
    store = SupabaseImageStore(url=storage.url, service_key=FAKE_SERVICE_KEY, bucket="products")

    url = store_image(store, "shop-1", "dress.png", tmp_path)

    (upload,) = storage.uploads
    assert upload["path"].startswith("/storage/v1/object/products/shop-1/")
    assert upload["path"].endswith(".jpg") and upload["content_type"] == "image/jpeg"
    assert upload["data"] == photo.read_bytes() and upload["upsert"] == "true"
    assert upload["auth"] == f"Bearer {FAKE_SERVICE_KEY}"
    object_name = upload["path"].removeprefix("/storage/v1/object/products/")
    assert url.startswith(f"{storage.url}/storage/v1/object/public/products/{object_name}")
