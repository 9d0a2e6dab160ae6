"""Texts only Telegram shows: the command menu and the button that shares a phone number."""

# Descriptions in the command menu next to the input field (set with set_my_commands).
CMD_START = "Начать сначала"
CMD_MENU = "Главное меню"
CMD_BACK = "Вернуться на шаг назад"
CMD_HELP = "Как пользоваться ботом"
CMD_CANCEL = "Отменить текущее действие"

TG_SHARE_PHONE = "📱 Отправить мой номер"
TG_SHARE_PHONE_HINT = "Чтобы не набирать номер, нажмите кнопку «📱 Отправить мой номер» под полем ввода."
TG_PHONE_PLACEHOLDER = "+7 900 000-00-00"
