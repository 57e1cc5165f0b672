"""The password policy: long enough, not only spaces, and not easy to guess.

Guessability is zxcvbn's estimate (the Dropbox estimator, ported to Python): dictionaries of
common passwords, names and words, keyboard patterns, repeats, dates and l33t spellings. Its
dictionaries are English; the words a Vietnamese office would reach for first are added below
(with the account's own username and name), so "matkhau123" or "ubndxa2025" count as guessable.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from registry.text import fold

MIN_LENGTH = 8
MAX_LENGTH = 200
# zxcvbn's score from 0 to 4: 3 is "safely unguessable" (about 10^8 guesses and more); below that
# a password falls to an online attack that gets past the rate limits, or to any offline one.
MIN_SCORE = 3
# zxcvbn only looks at the first characters; longer passwords are long enough anyway.
_SCORED_PREFIX = 100

VIETNAMESE_COMMON = (
    "matkhau", "mat khau", "password", "anhyeuem", "emyeuanh", "yeuem", "iloveyou", "vietnam",
    "hanoi", "saigon", "hochiminh", "ubnd", "ubndxa", "ubndphuong", "uyban", "nhandan", "xa",
    "phuong", "thon", "congan", "tramyte", "yte", "quantri", "admin", "taikhoan", "dangnhap",
    "nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do",
    "ho", "ngo", "duong", "ly", "minh", "anh", "linh", "huong", "trang", "thuy", "hoa", "lan",
    "hung", "dung", "tuan", "nam", "long", "hai", "ha", "thanh", "binh", "an", "khanh",
    "chucmung", "xinchao", "abc", "qwerty", "zxcvbn", "thanhhoa", "trieuson",
)


def password_problem(password: str | None, user_inputs: list[str] | tuple = ()) -> str | None:
    """Why `password` is refused, in words (lazy), or None when it passes.

    `user_inputs` are words of the account itself (username, full name, commune): a password
    made of them is guessable by anyone who knows the person.
    """
    password = password or ""
    if not password.strip():
        return _l("A password cannot be empty or only spaces.")
    if len(password) < MIN_LENGTH:
        return _l("The password must have at least 8 characters.")
    if len(password) > MAX_LENGTH:
        return _l("The password must have at most 200 characters.")
    folded = [fold(str(value)) for value in user_inputs if value]
    words = [w for value in folded for w in value.split()] + [v.replace(" ", "") for v in folded]
    # Imported here: its dictionaries take some 11 MB in every process that imports the app
    # (web and job workers alike), and only a password being set needs them.
    from zxcvbn import zxcvbn

    estimate = zxcvbn(password[:_SCORED_PREFIX], user_inputs=[*words, *VIETNAMESE_COMMON])
    if estimate["score"] < MIN_SCORE:
        return _l("This password is too easy to guess (a common password, a name, a date or "
                  "a keyboard pattern). Use a longer phrase of several words.")
    return None
