"""Texts only the MAX channel shows: the button that shares a phone number, the map of a venue."""

MAX_SHARE_PHONE = "📱 Отправить мой номер"
MAX_OPEN_MAP = "🗺 Открыть на карте"
MAX_VENUE = "📍 {title}: {address}"
