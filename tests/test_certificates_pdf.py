"""The certificate PDF itself: facts, embedded fonts, PDF/A, the JSON attachment, the QR code, and a
renderer that fetches nothing but static/ files."""

from __future__ import annotations

import io
import json
import subprocess
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp
from pdfminer.high_level import extract_text
from PIL import Image, ImageChops

from intranet.actors import SystemActor
from intranet.certificates import render, service
from intranet.certificates.fetcher import STATIC_ROOT, RefusedURL, StaticOnlyFetcher, static_path
from intranet.certificates.qr import grouped
from intranet.clock import now
from intranet.extensions import db
from intranet.programmes.models import ExcludedCountry

from . import factories as f

OPERATOR = SystemActor(name="test")


def pdf_text(pdf: bytes) -> str:
    return extract_text(io.BytesIO(pdf))


def font_dicts(reader: pypdf.PdfReader) -> list[dict]:
    """Every font used anywhere: page resources and (recursively) form XObjects such as the SVGs."""
    found: dict[int, dict] = {}

    def walk(resources: object) -> None:
        if not resources:
            return
        resources = resources.get_object()
        for ref in (resources.get("/Font") or {}).values():
            found[id(ref.get_object())] = ref.get_object()
        for ref in (resources.get("/XObject") or {}).values():
            walk(ref.get_object().get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return list(found.values())


def is_embedded(font: dict) -> bool:
    fonts = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
    for item in fonts:
        descriptor = item.get("/FontDescriptor")
        if descriptor is None:
            return False
        descriptor = descriptor.get_object()
        if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
            return False
    return True


def decode_qr(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_certificate_holds_the_facts_from_the_rows_is_pdfa_with_fonts_embedded_and_a_working_qr(app, freeze):
    freeze("2024-07-05T10:00:00+08:00")
    prog = f.programme()
    # unusual values: the certificate must read them from the Programme row, not from literals
    prog.indemnity_ratio = Decimal("0.85")
    prog.per_buyer_limit_usd = Decimal("175000.00")
    prog.hotline_consult = "83160001"
    prog.hotline_claims = "88320002"
    prog.excluded.append(ExcludedCountry(country_code="KP"))
    enterprise, _user, policy = f.certificate_holder(7, name="深圳市前海星辰进出口贸易有限公司", district_name="宝安区")
    db.session.commit()

    stored = service.stored_certificate(OPERATOR, policy.id, now=now())
    reader = pypdf.PdfReader(io.BytesIO(stored.pdf))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points

    text = pdf_text(stored.pdf)
    for expected in (
        "出口信用保险统保保单凭证",
        "Certificate of Export Credit Insurance",
        enterprise.name,
        enterprise.uscc,
        policy.policy_no,
        "2024-07-01",
        "2025-06-30",
        "2024-07-05",  # issue date
        "85%",
        "USD 175,000.00",
        "83160001",
        "88320002",
        "李经理 15877399562",  # 宝安区's account managers, from the district table
        "黄经理 13590133090",
        "朝鲜",  # the excluded country, in Chinese (pycountry)
        prog.name_zh,
        grouped(policy.verify_code),
    ):
        assert expected in text, expected
    assert "孙经理" not in text  # another district's managers
    assert "政治风险" in text and "商业风险" in text

    fonts = font_dicts(reader)
    assert fonts, "the certificate uses fonts"
    assert all(is_embedded(font) for font in fonts), [str(font.get("/BaseFont")) for font in fonts]
    assert any("CJK" in str(font.get("/BaseFont")) for font in fonts)

    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="U"' in xmp
    assert reader.trailer["/Root"]["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"

    assert list(reader.attachments) == ["policy.json"]
    data = json.loads(reader.attachments["policy.json"][0])
    assert data["policy_no"] == policy.policy_no
    assert data["insured"] == {"name": enterprise.name, "uscc": enterprise.uscc}
    assert (data["cover_start"], data["cover_end"]) == ("2024-07-01", "2025-06-30")
    assert data["per_buyer_limit"] == {"amount": "175000.00", "currency": "USD"}
    assert [c["code"] for c in data["excluded_countries"]] == ["KP"]

    assert decode_qr(stored.pdf) == [f"http://tongbao.test/verify/{policy.verify_code}"]
    assert len(stored.pdf) < 150_000  # compact CJK font programs (a retained-gid subset is ~350 KB)


# --- compact fonts ----------------------------------------------------------------------------------

SAMPLE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title>
<style>body { font-family: "Noto Sans CJK SC"; font-size: 14pt } b { font-weight: bold }</style></head>
<body><p>出口信用保险统保保单凭证 被保险人 保险期限 2024-07-01 至 2025-06-30 赔偿比例 80%</p>
<p><b>深圳市前海星辰进出口贸易有限公司 单一买方/开证行责任限额 USD 150,000.00</b></p></body></html>"""


def _poppler(pdf: bytes, tmp_path: Path) -> Image.Image:
    source = tmp_path / "in.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(source), str(tmp_path / "out")], check=True)
    return Image.open(tmp_path / "out.png").convert("L")


def _pdfium(pdf: bytes) -> Image.Image:
    return pypdfium2.PdfDocument(pdf)[0].render(scale=100 / 72).to_pil().convert("L")


def _differing_pixels(a: Image.Image, b: Image.Image) -> int:
    return sum(ImageChops.difference(a, b).histogram()[32:])


def test_compacted_fonts_draw_exactly_what_weasyprints_own_subset_draws(monkeypatch, tmp_path):
    built = render.Built(html=SAMPLE, data={"policy_no": "X"}, title="t")
    compact = render.render_pdf(built)
    monkeypatch.setattr(render, "compact_fonts", lambda document, pdf: None)
    original = render.render_pdf(built)

    assert len(compact) * 5 < len(original)
    reader = pypdf.PdfReader(io.BytesIO(compact))
    cid_fonts = [font["/DescendantFonts"][0].get_object() for font in font_dicts(reader)]
    programs = [cid["/FontDescriptor"].get_object()["/FontFile3"].get_object() for cid in cid_fonts]
    assert len(programs) == 2 and {p["/Subtype"] for p in programs} == {"/CIDFontType0C"}
    assert not any("/CIDToGIDMap" in cid for cid in cid_fonts)  # CFF CIDFonts map CIDs through the charset
    # pixel for pixel the same page in both common engines (poppler, pdfium): every glyph is found
    ink = sum(ImageChops.invert(_pdfium(original)).histogram()[32:])
    assert ink > 2000
    assert _differing_pixels(_pdfium(original), _pdfium(compact)) == 0
    assert _differing_pixels(_poppler(original, tmp_path), _poppler(compact, tmp_path)) == 0
    assert "深圳市前海星辰进出口贸易有限公司" in pdf_text(compact)


# --- the fetcher ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.com/seal.png",
        "ftp://example.com/x",
        "data:text/css,body{color:red}",
        "file://otherhost/etc/passwd",
        (STATIC_ROOT / "certificates").as_uri() + "/../../intranet/config.py",
        (STATIC_ROOT / "certificates").as_uri() + "/%2e%2e/%2e%2e/intranet/config.py",
        STATIC_ROOT.as_uri() + "/no-such-file.css",
        STATIC_ROOT.as_uri(),  # a directory
    ],
)
def test_the_fetcher_refuses_anything_but_files_under_static(url):
    fetcher = StaticOnlyFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_fetcher_serves_static_files_and_refuses_symlinks_leaving_static(tmp_path):
    served = StaticOnlyFetcher().fetch((STATIC_ROOT / "certificates" / "certificate.css").as_uri())
    assert b"@page" in served.read()
    assert served.content_type == "text/css"

    root = tmp_path / "static"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(RefusedURL):
        static_path((root / "link.txt").as_uri(), root.resolve())


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { background: red }")

    def log_message(self, *args: object) -> None:
        pass


def test_a_template_that_reaches_out_gets_nothing_but_static_files():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    network = f"http://127.0.0.1:{server.server_port}"
    try:
        html = f"""<!doctype html><html><head><meta charset="utf-8"><title>t</title>
        <link rel="stylesheet" href="{network}/evil.css">
        <link rel="stylesheet" href="file:///etc/passwd">
        <link rel="attachment" href="file:///etc/passwd">
        <link rel="attachment" href="../intranet/config.py">
        <link rel="attachment" href="certificates/emblem.svg">
        </head><body><p>测试 test</p>
        <img src="{network}/pixel.png"> <img src="../../intranet/static-escape.png">
        </body></html>"""
        fetcher = StaticOnlyFetcher()
        pdf = render.render_pdf(render.Built(html=html, data={"policy_no": "X"}, title="t"), fetcher=fetcher)
    finally:
        server.shutdown()
        thread.join(timeout=5)

    assert _Recorder.hits == []  # no network request left the renderer
    assert f"{network}/evil.css" in fetcher.refused
    assert "file:///etc/passwd" in fetcher.refused
    assert any(url.endswith("/intranet/config.py") for url in fetcher.refused)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # only the static file (and our own policy.json) were attached; /etc/passwd and config.py were not
    assert sorted(reader.attachments) == ["emblem.svg", "policy.json"]
    blobs = b"".join(b"".join(v) for v in reader.attachments.values())
    assert b"root:" not in blobs and b"TONGBAO_" not in blobs
    assert Path("/etc/passwd").read_bytes()[:20] not in pdf
