"""Texts of collecting a name and a phone (the consents are in ``consent``)."""

ASK_NAME = "Как к вам обращаться? Напишите фамилию, имя и отчество (или только имя)."
BAD_NAME = "Пожалуйста, напишите имя буквами (от 2 до 100 символов)."
USE_SAVED = "Оставить: {value}"
# Channel-neutral: Telegram adds its own "share my number" button under this question.
ASK_PHONE = "Напишите номер телефона для связи, например: +7 911 123-45-67."
BAD_PHONE = "Не удалось распознать номер. Напишите его полностью, например: +7 911 123-45-67."
BTN_SKIP = "Пропустить"
