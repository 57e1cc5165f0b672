"""QR posters: the PDF as printed (QR decoded and measured, Vietnamese text, fonts), batch
printing, token rotation, and who may download."""
from __future__ import annotations

import re

import pytest

from registry.extensions import db
from registry.models import AuditEvent, CheckinPoint, RetiredPointToken, Role, VenueStatus
from registry.services.venues import set_venue_status
from tests.pdfcheck import decode_qr, font_names, page_sizes_mm, page_texts

BASE = "https://registry.example.vn/c/"


@pytest.fixture
def clerk(make_user, auth):
    """A logged-in culture-information officer."""
    user = make_user(Role.CLERK)
    auth.login(user)
    return user


def _pdf(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return response.data


@pytest.mark.parametrize("size,page,min_code", [("A4", (210.0, 297.0), 150),
                                                ("A3", (297.0, 420.0), 150),
                                                ("A5", (148.0, 210.0), 93)])
def test_poster_qr_decodes_to_the_checkin_url_and_is_big_enough(client, clerk, make_venue,
                                                                  size, page, min_code):
    venue = make_venue()
    point = venue.points[0]
    pdf = _pdf(client, f"/posters/points/{point.id}.pdf?size={size}")
    assert page_sizes_mm(pdf) == [page]
    codes = decode_qr(pdf)
    assert [c["text"] for c in codes] == [BASE + point.token]
    # The national rule: at least 15 x 15 cm on A4 and A3 (measured on the rendered page).
    assert codes[0]["width_mm"] >= min_code and codes[0]["height_mm"] >= min_code
    # 128 bits at least: 20 random bytes in URL-safe base64.
    assert len(point.token) >= 22


def test_poster_text_is_vietnamese_with_venue_hotline_date_version(client, clerk, make_venue,
                                                                    commune):
    venue = make_venue(name="Chợ Nưa", address="Thôn Đông")
    point = venue.points[0]
    text = page_texts(_pdf(client, f"/posters/points/{point.id}.pdf"))[0]
    assert "MÃ QR ĐIỂM KIỂM DỊCH" in text
    assert "Chợ Nưa" in text and "Thôn Đông" in text and "Xã Triệu Sơn" in text
    assert "Mở camera của điện thoại" in text
    assert "phiếu khai báo giấy" in text and "Thẻ kiểm soát dịch bệnh" in text
    assert "Đường dây nóng của xã: 0237 3868 123" in text
    assert re.search(r"Ngày in: \d\d/\d\d/20\d\d", text)
    assert "Phiên bản mã: 1" in text
    assert font_names(_pdf(client, f"/posters/points/{point.id}.pdf")) <= {
        "Liberation-Sans", "Liberation-Sans-Bold"}


def test_poster_escapes_typed_text_and_clerk_language_does_not_matter(client, clerk,
                                                                       make_venue):
    clerk.locale = "en"
    db.session.commit()
    venue = make_venue(name='Quán <b>Phở</b> & "Cà phê"', points=("Cổng <i>1</i>", "Cổng 2"))
    text = page_texts(_pdf(client, f"/posters/points/{venue.points[0].id}.pdf"))[0]
    assert 'Quán <b>Phở</b> & "Cà phê"' in text
    assert "Điểm quét: Cổng <i>1</i>" in text
    assert "MÃ QR ĐIỂM KIỂM DỊCH" in text


def test_download_marks_the_poster_printed(client, clerk, make_venue):
    venue = make_venue()
    assert venue.points[0].poster_printed_at is None
    _pdf(client, f"/posters/points/{venue.points[0].id}.pdf")
    db.session.expire_all()
    assert db.session.get(CheckinPoint, venue.points[0].id).poster_printed_at is not None


def test_suspended_venue_poster_says_so_on_one_page(client, clerk, make_venue):
    venue = make_venue(name="Công ty trách nhiệm hữu hạn may mặc xuất khẩu Triệu Sơn chi "
                            "nhánh số hai, phân xưởng cắt và hoàn thiện sản phẩm")
    set_venue_status(venue, clerk, VenueStatus.SUSPENDED)
    db.session.commit()
    pdf = _pdf(client, f"/posters/points/{venue.points[0].id}.pdf")
    assert len(page_sizes_mm(pdf)) == 1
    assert "ĐỊA ĐIỂM ĐANG TẠM DỪNG HOẠT ĐỘNG" in page_texts(pdf)[0]


@pytest.mark.parametrize("size", ["A4", "A3", "A5"])
def test_longest_names_stay_on_one_page(client, clerk, make_venue, size):
    venue = make_venue(name=("Công ty trách nhiệm hữu hạn một thành viên " * 5)[:200],
                       address=("Số 1 đường Lê Lợi, Thôn Đông " * 10)[:255],
                       points=("Cổng chính của khu nhà xưởng số hai phía đường tỉnh lộ 514 đi "
                               "Thọ Xuân và Như Thanh", "Cổng phụ"))
    pdf = _pdf(client, f"/posters/points/{venue.points[0].id}.pdf?size={size}")
    assert len(page_sizes_mm(pdf)) == 1
    assert "Phiên bản mã: 1" in page_texts(pdf)[0]
    assert decode_qr(pdf)[0]["text"] == BASE + venue.points[0].token


def test_batch_prints_every_point_of_ticked_venues(client, clerk, make_venue):
    market = make_venue(name="Chợ Nưa", points=("Cổng Đông", "Cổng Tây", "Khu hàng cá"))
    school = make_venue(name="Trường THCS Triệu Sơn")
    make_venue(name="Không chọn")
    pdf = _pdf(client, f"/posters/batch.pdf?venue={market.id}&venue={school.id}")
    texts = page_texts(pdf)
    assert len(texts) == 4
    assert sum("Chợ Nưa" in t for t in texts) == 3 and sum("THCS" in t for t in texts) == 1
    assert not any("Không chọn" in t for t in texts)
    assert decode_qr(pdf, page=3)[0]["text"] == BASE + school.points[0].token


def test_batch_with_single_points_and_nothing_chosen(client, clerk, make_venue):
    market = make_venue(name="Chợ Nưa", points=("Cổng Đông", "Cổng Tây"))
    pdf = _pdf(client, f"/posters/batch.pdf?point={market.points[1].id}&size=A3")
    assert page_sizes_mm(pdf) == [(297.0, 420.0)]
    assert "Cổng Tây" in page_texts(pdf)[0]
    response = client.get("/posters/batch.pdf?venue=abc")
    assert response.status_code == 302
    assert "Hãy chọn ít nhất một địa điểm" in client.get(response.headers["Location"]).get_data(
        as_text=True)


def test_other_commune_posters_are_not_found(client, clerk, make_venue, other_commune):
    theirs = make_venue(commune_id=other_commune.id, name="Chợ Hàng Da")
    assert client.get(f"/posters/points/{theirs.points[0].id}.pdf").status_code == 404
    assert client.get(f"/posters/venues/{theirs.id}.pdf").status_code == 404
    assert client.post(f"/posters/points/{theirs.points[0].id}/rotate").status_code == 404
    # A batch silently ignores ids of another commune.
    response = client.get(f"/posters/batch.pdf?venue={theirs.id}")
    assert response.status_code == 302


def test_anonymous_cannot_download_posters(client, make_venue):
    venue = make_venue()
    response = client.get(f"/posters/points/{venue.points[0].id}.pdf")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_rotation_withdraws_the_old_poster(client, clerk, make_venue, commune):
    venue = make_venue()
    point = venue.points[0]
    old_token = point.token
    response = client.post(f"/posters/points/{point.id}/rotate",
                           data={"reason": "Ảnh mã bị đăng lên Facebook", "confirmed": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    point = db.session.get(CheckinPoint, point.id)
    assert point.token != old_token and point.poster_version == 2
    retired = db.session.query(RetiredPointToken).one()
    assert retired.token == old_token and retired.poster_version == 1
    event = db.session.query(AuditEvent).filter_by(action="rotate_qr").one()
    assert event.reason == "Ảnh mã bị đăng lên Facebook"
    # The old poster: a clear "withdrawn" page with the hotline, not an error.
    old = client.get(f"/c/{old_token}")
    assert old.status_code == 410
    page = old.get_data(as_text=True)
    assert "Mã QR này đã bị thu hồi" in page and "0237 3868 123" in page
    # The new poster works and says version 2.
    assert client.get(f"/c/{point.token}").status_code == 200
    pdf = _pdf(client, f"/posters/points/{point.id}.pdf")
    assert decode_qr(pdf)[0]["text"] == BASE + point.token
    assert "Phiên bản mã: 2" in page_texts(pdf)[0]
    # The venue page's history names the action.
    assert "Thu hồi và thay mã QR" in client.get(f"/venues/{venue.id}").get_data(as_text=True)


def test_rotation_reason_too_long_is_refused_with_a_message(client, clerk, make_venue):
    venue = make_venue()
    response = client.post(f"/posters/points/{venue.points[0].id}/rotate",
                           data={"reason": "x" * 300}, follow_redirects=True)
    assert "Chưa thu hồi được mã QR: Tối đa 255 ký tự." in response.get_data(as_text=True)
    assert db.session.query(RetiredPointToken).count() == 0


def test_venue_pages_offer_batch_and_point_actions(client, clerk, make_venue):
    venue = make_venue()
    listing = client.get("/venues/").get_data(as_text=True)
    assert f'name="venue" value="{venue.id}"' in listing
    assert "In mã QR của các địa điểm đã chọn" in listing
    detail = client.get(f"/venues/{venue.id}").get_data(as_text=True)
    assert f"/posters/points/{venue.points[0].id}.pdf" in detail
    assert "Thu hồi mã QR này" in detail


def test_batch_checkboxes_on_a_list_with_several_pages(client, clerk, make_venue):
    """More venues than one page holds: the list (with its pager) still offers batch printing."""
    venues = [make_venue(name=f"Hộ kinh doanh số {i:02d}") for i in range(27)]
    first = client.get("/venues/")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert page.count('name="venue"') == 25 and "page=2" in page
    second = client.get("/venues/?page=2")
    assert second.status_code == 200
    assert f'value="{venues[-1].id}"' in second.get_data(as_text=True)


def test_large_batch_runs_as_a_background_job(client, clerk, make_venue):
    """More posters than one part are rendered by the job workers, then downloaded whole."""
    from registry.pdf.posters import POSTERS_PER_PART

    venues = [make_venue(name=f"Tạp hóa số {i:02d}", points=("Quầy", "Kho"))
              for i in range(POSTERS_PER_PART // 2 + 2)]
    query = "&".join(f"venue={v.id}" for v in venues)
    response = client.get(f"/posters/batch.pdf?{query}&size=A4")
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mã QR" in job_page or "QR" in job_page
    download = client.get(response.headers["Location"].rstrip("/") + "/download")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    texts = page_texts(download.data)
    assert len(texts) == 2 * len(venues)
    assert "Tạp hóa số 00" in texts[0] and f"Tạp hóa số {len(venues) - 1:02d}" in texts[-1]
    assert decode_qr(download.data, page=len(texts) - 1)[0]["text"] == \
        BASE + venues[-1].points[1].token


def test_poster_part_renders_outside_a_request(app, make_venue, tmp_path):
    """The job worker renders posters with no request around it (no url_for)."""
    from registry.pdf.posters import render_poster_part, split_poster_job
    from registry.services.jobs import JobContext

    venue = make_venue(name="Chợ Nưa", points=("Cổng Đông", "Cổng Tây"))
    (part,) = split_poster_job({"point_ids": [p.id for p in venue.points], "size": "A4"})
    ctx = JobContext(job_id=0, workdir=tmp_path, part_index=0)
    render_poster_part(ctx, part)
    pdf = ctx.part_path.read_bytes()
    assert [c["text"] for c in decode_qr(pdf, page=1)] == [BASE + venue.points[1].token]


def test_a_worker_warms_its_printing_up_at_start_and_writes_nothing(app, make_venue):
    """wsgi.py and the job consumer lay out a made-up poster when a process starts: the fonts
    and print stylesheets are loaded then, not during a clerk's first download; no row is
    written, and the first real poster is the same as any other."""
    from registry.pdf import font_config, stylesheet
    from registry.pdf.posters import render_posters, warm_up_posters

    stylesheet.cache_clear()
    font_config.cache_clear()
    point = make_venue(name="Chợ Nưa").points[0]
    rows = db.session.query(AuditEvent).count()
    with app.app_context():  # as at a worker's start: no request
        warm_up_posters()
    assert stylesheet.cache_info().currsize == 2 and font_config.cache_info().currsize == 1
    assert db.session.query(AuditEvent).count() == rows
    with app.test_request_context():
        data = render_posters([point], "A4")
    assert stylesheet.cache_info().misses == 2  # nothing parsed again for the real poster
    assert "Chợ Nưa" in page_texts(data)[0]
    [code] = decode_qr(data)
    assert code["text"] == f"https://registry.example.vn/c/{point.token}"
    assert code["width_mm"] >= 150
