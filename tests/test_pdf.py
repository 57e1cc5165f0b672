"""The PDF renderer: bundled fonts really load, nothing is fetched from outside the package."""
from __future__ import annotations

import logging

from pdfcheck import decode_qr, font_names, page_texts

from registry.pdf import html_to_pdf
from registry.pdf.qr import qr_size_with_border, qr_svg_data_uri


def test_bundled_fonts_load_and_are_embedded(app, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    pdf = html_to_pdf("<p>Cộng hòa xã hội chủ nghĩa Việt Nam — ĐẮK LẮK, Ỹ, ữ</p>"
                      "<p><b>Độc lập</b> <i>Tự do</i></p>")
    assert not [r for r in caplog.records if "font" in r.getMessage().lower()], caplog.text
    names = font_names(pdf)
    assert len(names) == 3 and all(n.startswith("Liberation") and "Serif" in n for n in names)
    assert "ĐẮK LẮK, Ỹ, ữ" in page_texts(pdf)[0]


def test_outside_resources_are_refused(app, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    pdf = html_to_pdf('<img src="http://169.254.169.254/latest"><img src="file:///etc/passwd">'
                      '<link rel="stylesheet" href="registry-static:///../../setup.cfg"><p>ok</p>')
    assert "ok" in page_texts(pdf)[0]
    assert caplog.text.count("FetchRefused") >= 2


def test_qr_image_is_the_size_asked_for(app):
    data = "https://registry.example.vn/c/abc"
    width = qr_size_with_border(data, 150)
    pdf = html_to_pdf(f'<img class="qr" src="{qr_svg_data_uri(data)}" style="width:{width}mm">')
    (code,) = decode_qr(pdf)
    assert code["text"] == data
    assert 148 <= code["width_mm"] <= 152


def test_a_process_that_rendered_a_pdf_exits_cleanly(tmp_path):
    """Cached Pango objects are released before interpreter shutdown (else SIGSEGV on exit)."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("from registry import create_app\n"
            "from registry.pdf import html_to_pdf\n"
            f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.sqlite', "
            "'SECRET_KEY': 'x'})\n"
            "with app.app_context():\n"
            "    assert html_to_pdf('<p>Xã Triệu Sơn</p>').startswith(b'%PDF')\n")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                            timeout=120)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
