"""The MAX Bot API objects the bot sends and reads, as typed dictionaries named and shaped as in the
official OpenAPI description (``components/schemas``, version 0.0.32).

Dictionaries rather than classes: requests are built and answers read without a conversion layer
(the JSON is the object), and the tests validate that very JSON against the published schema.
Only the fields the bot uses are listed; the API may send more.
"""

from __future__ import annotations

from typing import Literal, NotRequired, Required, TypedDict

TextFormat = Literal["markdown", "html"]
UploadType = Literal["image", "video", "audio", "file"]
ChatType = Literal["dialog", "chat", "channel"]


class User(TypedDict, total=False):
    user_id: Required[int]
    first_name: str
    last_name: str | None
    username: str | None
    is_bot: bool
    last_activity_time: int
    name: str | None  # deprecated by MAX, still sent


class BotInfo(User, total=False):
    avatar_url: str
    full_avatar_url: str
    description: str | None


class Recipient(TypedDict, total=False):
    chat_id: int | None
    chat_type: ChatType
    user_id: int | None


class Attachment(TypedDict, total=False):
    """An attachment of a received message: ``image``, ``video``, ``audio``, ``file``, ``sticker``,
    ``contact``, ``share``, ``location`` or ``inline_keyboard``; ``payload`` depends on the type."""

    type: Required[str]
    payload: dict
    filename: str  # file
    size: int  # file
    latitude: float  # location
    longitude: float  # location


class MessageBody(TypedDict, total=False):
    mid: Required[str]
    seq: int
    text: str | None
    attachments: list[Attachment] | None


class LinkedMessage(TypedDict, total=False):
    type: Required[Literal["forward", "reply"]]
    sender: User
    chat_id: int
    message: Required[MessageBody]


class Message(TypedDict, total=False):
    sender: User
    recipient: Required[Recipient]
    timestamp: Required[int]
    link: LinkedMessage | None
    body: Required[MessageBody]
    url: str | None


class Callback(TypedDict, total=False):
    timestamp: int
    callback_id: Required[str]
    payload: str
    user: Required[User]


class Update(TypedDict, total=False):
    """Any update; which fields are present depends on ``update_type``."""

    update_type: Required[str]
    timestamp: Required[int]
    message: Message | None  # message_created, message_edited, message_callback
    callback: Callback  # message_callback
    chat_id: int  # bot_started, bot_added, bot_removed, bot_stopped, user_added, ...
    user: User
    payload: str | None  # bot_started: the deep-link payload
    is_channel: bool  # bot_added, bot_removed
    user_locale: str | None


class UpdateList(TypedDict):
    updates: list[Update]
    marker: int | None


# --- what the bot sends ---------------------------------------------------------------------------

class Button(TypedDict, total=False):
    """``callback`` (with ``payload``), ``link`` (with ``url``), ``request_contact`` or
    ``request_geo_location``; ``text`` is 1-128 characters."""

    type: Required[Literal["callback", "link", "request_contact", "request_geo_location", "message"]]
    text: Required[str]
    payload: str
    url: str
    quick: bool


class AttachmentRequest(TypedDict, total=False):
    """``inline_keyboard`` (payload ``{"buttons": rows}``), ``image``/``video``/``audio``/``file``
    (payload ``{"token": ...}``), or ``location`` (``latitude``, ``longitude``)."""

    type: Required[str]
    payload: dict
    latitude: float
    longitude: float


class NewMessageLink(TypedDict):
    type: Literal["forward", "reply"]
    mid: str


class NewMessageBody(TypedDict, total=False):
    """A new message or the new content of an edited one; for an edit, ``attachments: None`` keeps
    the old attachments and ``[]`` removes them."""

    text: str | None
    attachments: list[AttachmentRequest] | None
    link: NewMessageLink | None
    notify: bool
    format: TextFormat | None


class CallbackAnswer(TypedDict, total=False):
    message: NewMessageBody | None  # replaces the message with the button
    notification: str | None  # a short one-time notice to the person who pressed


# --- answers ------------------------------------------------------------------------------------------

class SimpleQueryResult(TypedDict):
    success: bool
    message: NotRequired[str]


class SendMessageResult(TypedDict):
    message: Message


class MessageList(TypedDict):
    messages: list[Message]


class UploadEndpoint(TypedDict, total=False):
    url: Required[str]
    token: str  # video and audio: the token is known before the upload


class Subscription(TypedDict, total=False):
    url: Required[str]
    time: int
    update_types: list[str] | None


class GetSubscriptionsResult(TypedDict):
    subscriptions: list[Subscription]


class Chat(TypedDict, total=False):
    chat_id: Required[int]
    type: Required[ChatType]
    status: Required[Literal["active", "removed", "left", "closed"]]
    title: str | None
    participants_count: int
    is_public: bool
    description: str | None


class ChatMember(User, total=False):
    is_owner: bool
    is_admin: bool
    join_time: int
    last_access_time: int
    permissions: list[str] | None  # e.g. "read_all_messages", "write"


class Error(TypedDict, total=False):
    code: Required[str]
    message: Required[str]
