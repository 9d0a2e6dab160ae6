"""Texts of the satisfaction survey, its invitations and the staff report."""

BTN_SURVEY = "Оценить качество"

# --- start
SURVEY_ANONYMOUS = (
    "Опрос анонимный: ответы сохраняются без имени, телефона и данных вашего аккаунта, "
    "и никто не сможет узнать, кто как ответил."
)
SURVEY_QUESTIONS = "Вопросов: {n}."
SURVEY_RESUME = "Вы уже начали отвечать: осталось вопросов — {left}. Продолжим с того места, где остановились?"
BTN_SURVEY_BEGIN = "Начать опрос"
BTN_SURVEY_RESUME = "Продолжить"
BTN_SURVEY_RESTART = "Начать заново"
BTN_SURVEY_LATER = "Не сейчас"
BTN_SURVEY_STOP = "Больше не предлагать"
SURVEY_LATER = "Хорошо. Пройти опрос можно в любой момент: кнопка «Оценить качество» в главном меню."
SURVEY_ALREADY_ANSWERED = "Вы уже ответили на этот опрос. Спасибо! Повторно отвечать не нужно."
SURVEY_DONE_RECENTLY = (
    "Вы уже проходили этот опрос {day}. Спасибо! Пройти его снова можно будет с {next_day}."
)
SURVEY_NOT_STARTED = "Опрос ещё не начат или уже завершён."

# --- questions
SURVEY_PROGRESS = "Вопрос {n} из {total}"
SURVEY_OPTIONS_HEAD = "Варианты ответа:"
SURVEY_HINT_SINGLE = "Выберите один вариант."
SURVEY_HINT_MULTIPLE = (
    "Отметьте все подходящие варианты (повторное нажатие снимает отметку) и нажмите «Готово». "
    "Можно написать номера: 1, 2"
)
SURVEY_HINT_SCALE = "Оценка {low} — {low_label}; {high} — {high_label}. {how}"
SURVEY_HINT_SCALE_NUMBERS = "Нажмите оценку или напишите номер варианта: 1 — {first}, …, {n} — {last}."
SURVEY_HINT_TEXT = "Напишите ответ одним сообщением (до {n} символов)."
SURVEY_HINT_OPTIONAL = "Если ответить нечего, нажмите «Пропустить»."
SURVEY_TEXT_REQUIRED = "Этот вопрос обязательный — пропустить его нельзя. Напишите, пожалуйста, ответ."
SURVEY_CURRENT = "Ваш ответ сейчас: {answer}"
SURVEY_SKIPPED_NOTE = "Вы пропустили этот вопрос."
BTN_SURVEY_DONE = "Готово"
BTN_SURVEY_SKIP = "Пропустить"
BTN_SURVEY_KEEP = "Оставить ответ"
SURVEY_PICK_ONE = "Отметьте хотя бы один вариант и нажмите «Готово»."
SURVEY_ONLY_ONE = "Здесь можно выбрать только один вариант. Нажмите кнопку или напишите один номер."
SURVEY_BAD_NUMBERS = "Вариантов с номерами {bad} нет. Напишите номера от 1 до {total}, например: 1, 2"
SURVEY_NOT_UNDERSTOOD_MULTIPLE = "Не понял ответ. Нажмите на варианты и «Готово» или напишите номера, например: 1, 2"
SURVEY_TEXT_NEEDED = "Пожалуйста, напишите ответ текстом."

# --- end
SURVEY_END = "Опрос завершён."
SURVEY_DUPLICATE = (
    "Ответы на это приглашение уже были отправлены раньше, поэтому повторно они не сохранены. Спасибо!"
)

# --- invitations
SURVEY_INVITE = {
    "consultation": "Недавно вы обращались ко мне с вопросом.",
    # the awards department is no part of the Управление: no «в управлении» here
    "visit": "Вчера вы были у нас на личном приёме.",
    "request": "Недавно вы получили ответ на своё обращение.",
}
SURVEY_INVITE_BODY = (
    "Пожалуйста, оцените доступность и качество информации о деятельности Администрации: "
    "{n} вопросов, 2–3 минуты. Опрос анонимный. Ваше мнение поможет нам работать лучше."
)
BTN_SURVEY_TAKE = "Пройти опрос"
SURVEY_OPTED_OUT = (
    "Хорошо, больше не буду предлагать опросы. Если захотите оценить нашу работу, нажмите "
    "«Оценить качество» в главном меню."
)
SURVEY_INVITE_FOREIGN = "Это приглашение предназначено другому человеку."

# --- staff report
SURVEY_CMD_DESCR = "итоги опроса за период: /survey 2026-01-01 2026-03-31"
SURVEY_CMD_USAGE = (
    "Напишите период: /survey 2026-01-01 2026-03-31 (или 01.01.2026 31.03.2026). "
    "Без дат — за последние 30 дней. Другой опрос — его id в конце: /survey 2026-01-01 2026-03-31 {ids}"
)
SURVEY_CMD_BAD_RANGE = "Начало периода позже его конца. Пример: /survey 2026-01-01 2026-03-31"
SURVEY_CMD_UNKNOWN = "Опроса «{id}» нет. Есть: {ids}."
SURVEY_REPORT_HEAD = "Опрос «{title}»\nПериод: {period}\nОтветов: {total}"
SURVEY_REPORT_NONE = "За этот период ответов нет."
SURVEY_REPORT_HEADLINE = "«{option}» (вопрос {n}): {share} ответивших ({count} из {answered})"
SURVEY_REPORT_ANSWERED = "ответили: {n}"
SURVEY_REPORT_MEAN = "Средняя оценка: {mean}"
SURVEY_REPORT_MORE_TEXTS = "… и ещё {n} — в таблице"
SURVEY_REPORT_CHART = "Вопрос {n}: распределение ответов"
SURVEY_REPORT_XLSX = "Таблица: сводка и все ответы (лист «Ответы»)."
SURVEY_REPORT_CSV = "Все ответы в CSV для других программ."

# --- report files (XLSX / CSV / charts)
REPORT_SHEET_SUMMARY = "Сводка"
REPORT_SHEET_RAW = "Ответы"
REPORT_PERIOD = "Период"
REPORT_TOTAL = "Число ответов"
REPORT_HEADLINE = "Доля «{option}» среди ответивших на вопрос {n}"
REPORT_COLUMNS = ("№", "Вопрос", "Вариант / показатель", "Число", "Доля")
REPORT_ANSWERED = "Ответили на вопрос"
REPORT_MEAN = "Средняя оценка"
REPORT_SCALE_LEGEND = "{low} — {low_label}; {high} — {high_label}"
REPORT_TEXT_ANSWERS = "Текстовых ответов"
REPORT_SHARES_NOTE = (
    "Доли — от числа ответивших на вопрос; при выборе нескольких вариантов их сумма может быть больше 100 %."
)
REPORT_RAW_COLUMNS = ("№", "Дата", "Источник")
REPORT_SOURCES = {
    "menu": "из меню",
    "consultation": "после консультации",
    "visit": "после приёма",
    "request": "после ответа на обращение",
}
REPORT_OLD_OPTION = "{label} (прежняя формулировка)"
REPORT_CHART_COUNT = "Число ответов"
REPORT_CHART_ANSWERED = "ответили: {n}"
