"""Irreversible actions ask first: the button of such an action posts to its own address, and
the first post answers with a page that says what will happen; only that page's button (which
posts the same fields again with `confirmed=1`) does it. Works without JavaScript, and a
crafted or replayed post without the confirmation does nothing.

Not a blueprint: helpers the feature views call before they act.
"""
from __future__ import annotations

from flask import render_template, request


def confirmed() -> bool:
    """Whether this post comes from the confirmation page."""
    return request.form.get("confirmed") == "1"


def ask_first(*, title: str, consequences: list[str], button: str, cancel_url: str,
              record: str | None = None, danger: bool = True):
    """The confirmation page of an action: what it is about (`record`), what will happen
    (`consequences`, one sentence each), the button that does it and a way back.

    Every field of the post is carried over (a reason typed, the records ticked), so that
    confirming does exactly what was asked.
    """
    carried = [(name, value) for name, value in request.form.items(multi=True)
               if name not in ("csrf_token", "confirmed")]
    return render_template("confirm.html", title=title, consequences=consequences,
                           button=button, cancel_url=cancel_url, record=record,
                           danger=danger, carried=carried, action=request.path)
