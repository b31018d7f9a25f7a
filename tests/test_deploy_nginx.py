"""deploy/ as an operator copies it: Debian's nginx with deploy/nginx/tongbao.conf in front of gunicorn
started by deploy/systemd/tongbao-web.service's own command line, on loopback.

Only host-specific values are swapped (ports, /opt/tongbao, the certificate), so a mistake in the
shipped files fails here: pages over TLS, plain HTTP redirected, static files from nginx, an upload
bigger than nginx's 1 MB default reaching the app, and the client's own address in the login log."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENT_IP = "127.0.0.9"  # a loopback address of its own, so the test sees it is the client's, not nginx's
PASSWORD = "deploy-test-password-1"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx not installed (scripts/system-deps.sh test)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited early:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"port {port} never opened:\n{log.read_text(errors='replace')}")


def unit_exec_start(unit: Path) -> list[str]:
    line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "fullchain.pem", tmp / "privkey.pem"
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tongbao.test",
         "-addext", "subjectAltName=DNS:tongbao.test", "-keyout", str(key), "-out", str(cert)],  # fmt: skip
        check=True,
        capture_output=True,
    )
    return cert, key


def site_config(https_port: int, http_port: int, web_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx/tongbao.conf with this host's values; fails if the shipped file lost what it swaps."""
    text = (DEPLOY / "nginx" / "tongbao.conf").read_text()
    swaps = [
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen \[::\]:80;", ""),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"listen \[::\]:443 ssl http2;", ""),
        (r"server 127\.0\.0\.1:8000", f"server 127.0.0.1:{web_port}"),
        (r"/etc/ssl/tongbao/fullchain\.pem", str(cert)),
        (r"/etc/ssl/tongbao/privkey\.pem", str(key)),
        (r"/opt/tongbao/", f"{REPO}/"),
        (r"tongbao\.example\.gov\.cn", "tongbao.test"),
    ]
    for pattern, replacement in swaps:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"deploy/nginx/tongbao.conf no longer contains {pattern!r}"
    return text


def nginx_main(tmp: Path, site: Path) -> str:
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the test's private temp dirs
    temp = tmp / "nginx-temp"
    temp.mkdir()
    return f"""
{user}
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""


@dataclass
class Deployment:
    https_port: int
    http_port: int
    database: Path
    tls: ssl.SSLContext

    def https(self) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=self.tls, timeout=30, source_address=(CLIENT_IP, 0)
        )


def request(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    cookie: str = "",
) -> tuple[int, dict[str, str], bytes]:
    # a browser's Host and Referer (Flask-WTF checks the referrer on HTTPS, behind the proxy too)
    all_headers = {"Host": "tongbao.test", "Referer": f"https://tongbao.test{path}", **(headers or {})}
    if cookie:
        all_headers["Cookie"] = cookie
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def session_cookie(headers: dict[str, str], old: str) -> str:
    set_cookie = headers.get("set-cookie", "")
    match = re.match(r"([^=;]+=[^;]*)", set_cookie)
    return match.group(1) if match else old


def csrf(body: bytes) -> str:
    field = BeautifulSoup(body, "html.parser").select_one("form input[name=csrf_token]")
    assert field is not None, "the form has no CSRF token"
    return str(field["value"])


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("deploy")
    instance = tmp / "instance"
    instance.mkdir()
    database = instance / "tongbao.db"
    https_port, http_port, web_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "TONGBAO_DATABASE_URL": f"sqlite:///{database}",
        "TONGBAO_INSTANCE_PATH": str(instance),
        "TONGBAO_SECRET_KEY": uuid.uuid4().hex,
        "TONGBAO_BASE_URL": f"https://tongbao.test:{https_port}",
        "TONGBAO_TRUSTED_PROXIES": "1",
    }
    env.pop("TONGBAO_REDIS_URL", None)
    tongbao = str(BIN / "tongbao")
    subprocess.run([tongbao, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
    subprocess.run([tongbao, "demo"], env=env, check=True, capture_output=True)  # noqa: S603 (programmes to import into)
    subprocess.run(  # noqa: S603
        [tongbao, "user", "create", "--role", "bureau", "--email", "officer@deploy.test", "--password", PASSWORD],
        env=env,
        check=True,
        capture_output=True,
    )

    command = unit_exec_start(DEPLOY / "systemd" / "tongbao-web.service")
    assert command[0] == "/opt/tongbao/.venv/bin/gunicorn"
    command = [str(BIN / "gunicorn"), *(a.replace("127.0.0.1:8000", f"127.0.0.1:{web_port}") for a in command[1:])]
    command[command.index("--workers") + 1] = "2"  # two are enough here
    web_log = tmp / "gunicorn.log"
    web = subprocess.Popen(command, cwd=REPO, env=env, stdout=web_log.open("wb"), stderr=subprocess.STDOUT)  # noqa: S603

    cert, key = self_signed(tmp)
    site = tmp / "tongbao.conf"
    site.write_text(site_config(https_port, http_port, web_port, cert, key))
    main = tmp / "nginx.conf"
    main.write_text(nginx_main(tmp, site))
    check = subprocess.run([NGINX, "-t", "-c", str(main)], capture_output=True, text=True)  # noqa: S603
    assert check.returncode == 0, check.stderr
    nginx_log = tmp / "nginx-error.log"
    nginx = subprocess.Popen(  # noqa: S603
        [NGINX, "-c", str(main), "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    tls = ssl.create_default_context(cafile=str(cert))
    tls.check_hostname = False  # we dial 127.0.0.1; the certificate itself must still verify
    try:
        wait_for_port(web_port, web, web_log)
        wait_for_port(https_port, nginx, nginx_log)
        yield Deployment(https_port, http_port, database, tls)
    finally:
        for proc in (nginx, web):
            proc.terminate()
        for proc in (nginx, web):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_pages_come_through_tls(deployment: Deployment) -> None:
    status, headers, body = request(deployment.https(), "GET", "/")
    assert status == 200
    assert BeautifulSoup(body, "html.parser").select_one("main") is not None
    status, _, body = request(deployment.https(), "GET", "/healthz")
    assert status == 200
    assert b'"database": "ok"' in body or b'"database":"ok"' in body


def test_plain_http_is_sent_to_https(deployment: Deployment) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", deployment.http_port, timeout=10)
    status, headers, _ = request(conn, "GET", "/notices")
    assert status == 301
    assert headers["location"] == "https://tongbao.test/notices"


def test_static_files_are_served_by_nginx(deployment: Deployment) -> None:
    status, headers, body = request(deployment.https(), "GET", "/static/css/app.css")
    assert status == 200
    assert body == (REPO / "static" / "css" / "app.css").read_bytes()
    assert headers.get("cache-control") == "max-age=604800"  # nginx's `expires 7d`, not Flask's
    assert "set-cookie" not in headers  # the app never saw it


def test_login_and_upload_come_through_with_the_clients_address(deployment: Deployment) -> None:
    conn = deployment.https()
    status, headers, body = request(conn, "GET", "/login")
    assert status == 200
    cookie = session_cookie(headers, "")
    form = {"csrf_token": csrf(body), "identifier": "officer@deploy.test", "password": PASSWORD}
    status, headers, _ = request(
        conn,
        "POST",
        "/login",
        body=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        cookie=cookie,
    )
    assert status == 302, "login through nginx failed"
    assert headers["location"].startswith(("/", "https://tongbao.test")), headers["location"]
    cookie = session_cookie(headers, cookie)

    with sqlite3.connect(deployment.database) as db:
        ips = [row[0] for row in db.execute("SELECT ip FROM login_attempts WHERE succeeded")]
    assert ips == [CLIENT_IP], "the app must see the client's address, not the proxy's"

    status, headers, body = request(conn, "GET", "/staff/roster/import/", cookie=cookie)
    assert status == 200
    cookie = session_cookie(headers, cookie)
    programme = BeautifulSoup(body, "html.parser").select_one("select[name=programme] option[value]")
    assert programme is not None, "no programme to import into"
    # a 2 MB upload: over nginx's default body limit (1 MB), under the app's (32 MB)
    rows = "".join(f"91440300{i:010d},深圳市企业{i:07d}有限公司,南山区,{i * 10}\n" for i in range(50_000))
    upload = ("统一社会信用代码,企业名称,所属区,出口额（美元）\n" + rows).encode()
    assert len(upload) > 2 * 1024 * 1024
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf(body)}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="programme"\r\n\r\n{programme["value"]}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="roster.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + upload
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    status, headers, body = request(
        conn,
        "POST",
        "/staff/roster/import/",
        body=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        cookie=cookie,
    )
    # the app received the whole file and made an import job of it
    assert status == 302, body[:500]
    assert re.search(r"/staff/roster/import/\d+$", headers["location"]), headers["location"]


def test_a_body_over_the_limit_is_refused_before_the_app(deployment: Deployment) -> None:
    conn = deployment.https()
    body = b"x" * (34 * 1024 * 1024)
    status, _, _ = request(
        conn, "POST", "/staff/roster/import/", body=body, headers={"Content-Type": "application/octet-stream"}
    )
    assert status == 413
