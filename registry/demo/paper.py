"""Demo paper: a batch at each custody step, keyed lines, a sheet awaiting double entry, two
declarations typed on behalf of visitors and a same-person suggestion."""
from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from registry.demo import VILLAGES, demo_person
from registry.extensions import db
from registry.models import Checkin, CheckinSource, DoubleEntry, FormKind
from registry.services.checkins import record_checkin
from registry.services.declarations import Declaration
from registry.services.paper.custody import collect_batch, create_batch, hand_batch
from registry.services.paper.keying import LineValues, finish_sheet, save_line
from registry.services.person_links import suggest_links
from registry.timeutil import local_today


def seed_paper(commune, *, context: dict, rng) -> None:
    """A batch at each custody step, keyed lines, one sheet awaiting double entry."""
    users, venues = context["users"], context["venues"]
    clerk, keyer = users["vanhoa"], users["nhaplieu"]
    today = local_today()
    market, station, shop = venues[11], venues[8], venues[17]
    create_batch(shop.points[0], FormKind.SLIP, 10, clerk, rng=rng)
    handed = create_batch(market.points[1], FormKind.LOG, 5, clerk, rng=rng)
    hand_batch(handed, clerk, today - timedelta(days=1), "Bà Nguyễn Thị Lan (ban quản lý chợ)")
    for point, double in ((market.points[0], DoubleEntry.NONE),
                          (station.points[0], DoubleEntry.FULL)):
        batch = create_batch(point, FormKind.LOG, 4, clerk, double_entry=double, rng=rng)
        hand_batch(batch, clerk, today - timedelta(days=4), "Anh Lê Văn Bảo (bảo vệ)")
        collect_batch(batch, clerk, today - timedelta(days=1), clerk.full_name, 3)
        for sheet in batch.sheets[:2]:
            for line_no in range(1, rng.randint(4, 9)):
                name, phone = demo_person(rng)
                values = LineValues(
                    day=today - timedelta(days=2), time_in=time(rng.randint(6, 17),
                                                                rng.choice((0, 15, 30, 45))),
                    time_in_exact=True, time_out=None, full_name=name,
                    birth_year=rng.randint(1945, 2010), phone=phone,
                    address=rng.choice(VILLAGES), symptoms=rng.random() < 0.05)
                save_line(sheet, line_no, values, keyer)
            finish_sheet(sheet, keyer)
    # The venue's staff declared two visitors on their behalf; one of them also wrote on paper,
    # so the clerk finds a "same person" suggestion waiting.
    staff = users["diadiem"]
    paper_one = db.session.scalar(select(Checkin).where(Checkin.commune_id == commune.id,
                                                        Checkin.source == CheckinSource.PAPER)
                                  .order_by(Checkin.id))
    name, phone = demo_person(rng)
    for full_name, year, tel in ((paper_one.full_name.upper(), paper_one.birth_year,
                                  paper_one.phone), (name, 1958, phone)):
        record_checkin(station.points[0], CheckinSource.ON_BEHALF,
                       Declaration(full_name=full_name, birth_year=year, phone=tel,
                                   address=rng.choice(VILLAGES)), entered_by=staff)
    suggest_links(commune.id)
