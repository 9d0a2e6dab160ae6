"""Channel-qualified addresses as an administrator writes them, parsed and printed in one place.

A *destination* is where a department's staff receive cards, alerts and the visit agenda:

    telegram:-1001234567890      a Telegram group             telegram:-1001234567890/2   its forum topic 2
    vk:2000000001                a VK chat (2000000000 + its number)
    max:-68012345                a MAX chat
    email:ok@lenreg.ru           a department mailbox (send-only)
    console:staff                the console demo

A *person* (a staff member, a head, an admin) is ``channel:user id``: ``telegram:123456``,
``vk:456``, ``max:789``, ``console:admin``.

The old form of a Telegram staff chat, a bare number with an optional topic (``-1001234567890/2``),
is still read as ``telegram:``; ``legacy`` tells it apart so that check-config can say it is
deprecated. Errors are short Russian sentences for an administrator, to be prefixed with
``file: path:`` by the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.domain.fields import EMAIL_RE

DESTINATION_CHANNELS = ("telegram", "vk", "max", "email", "console")
PERSON_CHANNELS = ("telegram", "vk", "max", "console")
SEND_ONLY = frozenset({"email"})  # nobody writes to the bot from there: not a chat
EXAMPLES = "telegram:-1001234567890/2, vk:2000000001, max:-68012345, email:ok@lenreg.ru"

_NUMBER = re.compile(r"-?\d{1,20}")
_TOPIC = re.compile(r"\d{1,10}")
_WORD = re.compile(r"[\w-]{1,64}")
_USER = re.compile(r"\d{1,20}")
_LEGACY = re.compile(r"(-?\d{1,20})(?:/(\d{1,10}))?")
_RULES = {  # channel -> (what the id must look like, the explanation)
    "telegram": (_NUMBER, "id чата Telegram — число, например telegram:-1001234567890 "
                          "(или telegram:-1001234567890/2 — тема форума)"),
    "vk": (re.compile(r"\d{1,12}"), "id беседы ВКонтакте — число 2000000000 + номер беседы, например vk:2000000001"),
    "max": (_NUMBER, "id чата MAX — число, например max:-68012345"),
    "email": (EMAIL_RE, "ожидается адрес электронной почты, например email:ok@lenreg.ru"),
    "console": (_WORD, "ожидается слово, например console:staff"),
}


@dataclass(frozen=True, slots=True)
class Destination:
    channel: str
    chat_id: str
    thread_id: int | None = None  # a Telegram forum topic
    legacy: bool = False  # written as a bare Telegram chat number (deprecated)

    def __str__(self) -> str:
        topic = f"/{self.thread_id}" if self.thread_id is not None else ""
        return f"{self.channel}:{self.chat_id}{topic}"

    @property
    def is_chat(self) -> bool:
        """A chat people write in (staff act there), not a mailbox."""
        return self.channel not in SEND_ONLY

    @property
    def key(self) -> tuple[str, str, int | None]:
        return (self.channel, self.chat_id, self.thread_id)


def parse_destination(text: object) -> Destination:
    """``telegram:-100123/2`` -> Destination; raises ValueError saying what is wrong."""
    raw = str(text).strip()
    legacy = _LEGACY.fullmatch(raw)
    if legacy:
        return Destination("telegram", legacy[1], int(legacy[2]) if legacy[2] else None, legacy=True)
    channel, sep, rest = raw.partition(":")
    channel = channel.strip().lower()
    if not sep or not rest.strip():
        raise ValueError(f"адрес {raw!r}: ожидается канал:адрес, например {EXAMPLES}")
    if channel not in _RULES:
        raise ValueError(f"адрес {raw!r}: неизвестный канал {channel!r}; допустимы "
                         f"{', '.join(DESTINATION_CHANNELS)}")
    rest = rest.strip()
    thread: int | None = None
    if channel == "telegram" and "/" in rest:
        rest, _, topic = rest.partition("/")
        if not _TOPIC.fullmatch(topic):
            raise ValueError(f"адрес {raw!r}: номер темы форума {topic!r} — не число")
        thread = int(topic)
    elif "/" in rest and channel != "email":
        raise ValueError(f"адрес {raw!r}: темы (/номер) бывают только у групп Telegram")
    pattern, explanation = _RULES[channel]
    if not pattern.fullmatch(rest):
        raise ValueError(f"адрес {raw!r}: {explanation}")
    return Destination(channel, rest.lower() if channel == "email" else rest, thread)


def legacy_chat(chat_id: str, thread_id: int | None) -> Destination:
    """The deprecated ``staff_chat``/``staff_thread`` of a department: a Telegram chat (and topic)."""
    return Destination("telegram", chat_id, thread_id, legacy=True)


def parse_person(text: object) -> str:
    """``telegram:123`` (a staff member, head or admin) -> the same, normalised; raises ValueError."""
    raw = str(text).strip()
    channel, sep, user = raw.partition(":")
    channel = channel.strip().lower()
    user = user.strip()
    if not sep or channel not in PERSON_CHANNELS:
        raise ValueError(f"{raw!r}: ожидается канал:id, где канал — {', '.join(PERSON_CHANNELS)}, "
                         f"например telegram:123456")
    if not (_WORD if channel == "console" else _USER).fullmatch(user):
        raise ValueError(f"{raw!r}: id пользователя {channel} — число, например {channel}:123456")
    return f"{channel}:{user}"

