"""Texts of written requests: the citizen's side, the staff chat, deadlines and deleting one's data."""

BTN_MY_REQUESTS = "Мои обращения"
BTN_REQUESTS = "Обращения в отдел"
BTN_FORGET = "Удалить мои данные"

CHANNEL_NAMES = {"telegram": "Telegram", "vk": "ВКонтакте", "max": "MAX", "email": "электронная почта",
                 "console": "консоль"}
STATUS = {
    "received": "принято", "in_work": "в работе", "clarify": "нужно уточнение", "answered": "дан ответ",
    "closed": "закрыто", "withdrawn": "отозвано",
}
FILE_KINDS = {"photo": "фото", "document": "документ", "video": "видео", "voice": "голосовое сообщение",
              "audio": "аудио", "other": "файл"}

# --- writing a request
RQ_TITLE = "Обращение в отдел"
RQ_WRITE = (
    "Напишите обращение{topic}: опишите ситуацию и что вам нужно. Я передам его специалистам отдела, "
    "ответ придёт сюда.\nМожно приложить фото или документы. Когда закончите, нажмите «Готово»."
)
RQ_WRITE_TOPIC = " по теме «{topic}»"
RQ_DRAFT = (
    "Получено сообщений: {parts}, файлов: {files}. Можно дописать ещё или приложить файлы. "
    "Когда закончите, нажмите «Готово»."
)
BTN_RQ_DONE = "Готово"
BTN_RQ_RESTART = "Начать заново"
RQ_TOO_MANY_FILES = (
    "Можно приложить не больше {limit} файлов. Остальные отправьте, пожалуйста, по электронной почте отдела."
)
RQ_FILE_KIND = "Стикеры и геометки к обращению не прикладываются. Пришлите фото или документ."
RQ_TOO_LONG = "Текст получается длиннее {limit} символов. Сократите его, пожалуйста, или приложите документом."
RQ_TOO_SHORT = "Опишите, пожалуйста, вопрос подробнее — хотя бы одним-двумя предложениями."
RQ_RESTARTED = "Хорошо, начнём заново."
RQ_CHOOSE_TOPIC = "К какой теме относится обращение? Так оно быстрее попадёт к нужным специалистам."
RQ_CHANNEL = (
    "Ответ придёт сюда, в этот чат. Хотите получить его ещё и другим способом — копией на электронную "
    "почту или звонком?"
)
BTN_RQ_ONLY_HERE = "Только в этот чат"
BTN_RQ_EMAIL = "Копию на эл. почту"
BTN_RQ_CALL = "Перезвоните мне"
RQ_ASK_EMAIL = "Напишите адрес электронной почты, на который прислать копию ответа."
RQ_BAD_EMAIL = "Не удалось распознать адрес. Напишите его полностью, например: ivanov@mail.ru"
RQ_CONFIRM = (
    "Проверьте, пожалуйста.\nТема: {topic}\nКонтакт: {contact}\nОтвет: {channel}\nФайлов: {files}\n\n"
    "Текст обращения:\n{text}\n\nОтправить?"
)
RQ_CHANNEL_HERE = "в этот чат"
RQ_CHANNEL_EMAIL = "в этот чат и копия на {email}"
RQ_CHANNEL_CALL = "в этот чат и звонок на {phone}"
BTN_RQ_SEND = "Отправить"
BTN_RQ_CHANGE_TOPIC = "Изменить тему"
BTN_RQ_CANCEL = "Не отправлять"
RQ_CANCELLED = "Обращение не отправлено, текст удалён."
RQ_ACCEPTED = (
    "Обращение №{number} принято и передано специалистам.\nТема: {topic}.\n"
    "Ответ — не позднее {due}: по порядку работы консультационной линии мы отвечаем в течение 30 дней.\n"
    "Сообщение в чате не считается официальным обращением по закону № 59-ФЗ — официальное обращение "
    "можно подать на портале Госуслуг: {appeal_url}\n"
    "Статус можно посмотреть в разделе «Мои обращения»."
)
GOSUSLUGI_URL = "https://www.gosuslugi.ru"
RESULT_OFFICIAL_APPEAL = (
    "Если нужно официальное обращение или жалоба по закону № 59-ФЗ, подайте его на портале Госуслуг: "
    "сообщение в чате официальным обращением не считается."
)
BTN_OFFICIAL_APPEAL = "Обращение через Госуслуги"
RQ_ACCEPTED_URGENT = "Я отметил, что вопрос может быть срочным, — специалисты это увидят."
RQ_ACCEPTED_EXTRA_EMAIL = "Копию ответа пришлём на {email}."
RQ_ACCEPTED_EXTRA_CALL = "Специалист также перезвонит вам по номеру {phone} в рабочее время."

# --- my requests
RQ_MINE_EMPTY = "У вас пока нет обращений. Написать в отдел можно из главного меню."
RQ_MINE_HEAD = "Ваши обращения:"
RQ_MINE_LINE = "№{number} от {date} · {topic} · {status}"
RQ_MINE_DUE = " · ответ до {due}"
RQ_MINE_PICK = "Выберите обращение, чтобы посмотреть подробности или дополнить его."
RQ_OPTION = "№{number}: {status}"
RQ_VIEW = "Обращение №{number} от {date}\nТема: {topic}\nСтатус: {status}"
RQ_VIEW_DUE = "Ответ — не позднее {due}"
RQ_VIEW_ITEM = {
    "text": "Вы писали ({date}):", "addition": "Вы дополнили ({date}):", "reply": "Ваш ответ ({date}):",
    "question": "Вопрос специалиста ({date}):", "answer": "Ответ ({date}):", "notice": "Сообщение ({date}):",
}
RQ_VIEW_FILES = "[файлов: {n}]"
RQ_VIEW_ERASED = "[удалено]"
BTN_RQ_ADD = "Дополнить обращение"
BTN_RQ_REPLY = "Ответить на вопрос"
RQ_NOT_FOUND = "Обращение не найдено. Посмотрите список в разделе «Мои обращения»."
RQ_NOT_OPEN = "Работа по обращению №{number} завершена ({status}), дополнить его нельзя. Напишите новое обращение."

# --- adding to a request, answering a clarifying question
RQ_ADD = "Напишите, что добавить к обращению №{number}. Можно приложить фото или документы, затем нажмите «Отправить»."
RQ_REPLY = (
    "Вопрос специалиста по обращению №{number}:\n{question}\n\nНапишите ответ (можно приложить файлы), "
    "затем нажмите «Отправить»."
)
RQ_ADD_DRAFT = "Получено сообщений: {parts}, файлов: {files}. Допишите или нажмите «Отправить»."
RQ_ADD_EMPTY = "Сначала напишите текст или приложите файл."
RQ_ADD_SENT = "Дополнение к обращению №{number} передано специалистам."
RQ_REPLY_SENT = "Спасибо! Ваш ответ по обращению №{number} передан специалистам."

# --- messages to the client from staff
RQ_ANSWER_TO_CLIENT = "Ответ на ваше обращение №{number} (тема «{topic}»):\n\n{text}\n\n{department}"
RQ_QUESTION_TO_CLIENT = (
    "Специалисту нужно уточнение по вашему обращению №{number}:\n\n{text}\n\nНажмите «Ответить» и напишите ответ."
)
BTN_RQ_ANSWER_QUESTION = "Ответить"
BTN_RQ_DETAILS = "Подробнее"
RQ_SHORTENED_TO_CLIENT = "Ваше обращение №{number} признано срочным: ответ будет дан не позднее {due}."
RQ_EXTENDED_TO_CLIENT = (
    "Срок ответа на обращение №{number} продлён до {due}: для полного ответа нужно дополнительное время "
    "(ч. 2 ст. 12 закона № 59-ФЗ). Приносим извинения за ожидание."
)
RQ_EMAIL_SUBJECT = "Ответ на обращение №{number}"
RQ_EMAIL_COPY_FAILED = ("Копию ответа по обращению №{number} на {email} отправить не удалось. Ответ — в сообщении "
                        "выше; если нужна копия на почту, напишите нам об этом.")
RQ_EMAIL_BODY = (
    "Здравствуйте{name}!\n\nОтвет на ваше обращение №{number} от {date} (тема «{topic}»):\n\n{text}\n\n"
    "{department}\n\nЭто копия ответа, отправленного вам в {channel}. Отвечать на это письмо не нужно."
)

# --- classification and urgency (shown on the staff card)
URGENCY_WORDS = "слова {words}"
URGENCY_DATE = "срок в тексте «{what}» ({date})"
URGENCY_COMPETITION = "срок подачи документов на конкурс"
URGENCY_REPEATED = "повторное обращение по теме ({n} за {days} дней)"

# --- the staff card
CARD_HEAD = "Обращение №{number} · {status}"
CARD_TOPIC = "Тема: {topic}"
CARD_NEED = "Потребность: {need}"
CARD_NEED_UNKNOWN = "не определена"
CARD_URGENCY_SIGNALS = "Срочность: возможно срочное — {signals}"
CARD_URGENCY_NONE = "Срочность: признаков нет"
CARD_URGENT_YES = "Срочность: срочное (подтверждено)"
CARD_URGENT_NO = "Срочность: не срочное (подтверждено)"
CARD_DUE = "Срок ответа: до {due} ({left}){kind}"
CARD_DUE_KIND = {"standard": "", "shortened": ", сокращённый", "extended": ", продлён"}
LEFT_DAYS = "осталось дней: {n}"
LEFT_TODAY = "сегодня"
LEFT_OVERDUE = "просрочено на {n} дн."
CARD_CHANNEL = "Канал ответа: {channel}"
CARD_EXTRA_EMAIL = "; копия на эл. почту {email}"
CARD_EXTRA_CALL = "; перезвонить по телефону {phone}"
CARD_CONTACT = "Контакт: {contact}"
CARD_ASSIGNEE = "Исполнитель: {name}"
CARD_CREATED = "Поступило: {at}"
CARD_TEXT = "Текст обращения:"
CARD_LATER = {"addition": "Дополнение клиента ({date}):", "reply": "Ответ клиента на уточнение ({date}):"}
CARD_FILES = "Вложения ({n}): {items}"
CARD_FILES_BELOW = "переслан ниже"
CARD_FILES_EARLIER = "пересылался с карточкой"
CARD_FILE_ELSEWHERE = "{kind} из {channel}: {ref}"
CARD_HINT = "Чтобы ответить клиенту, ответьте на это сообщение (Reply) или: /answer {number} текст"
CARD_ANONYMISED = "Клиент удалил свои данные: текст и контакты стёрты."
BTN_TAKE = "Взять в работу"
BTN_CLARIFY = "Уточнить у клиента"
BTN_URGENT = "Срочное"
BTN_NOT_URGENT = "Не срочное"
BTN_TOPIC = "Изменить тему"
BTN_NEED = "Изменить потребность"
BTN_SHORTEN = "Сократить срок"
BTN_EXTEND = "Продлить срок"
BTN_CLOSE = "Закрыть"
BTN_DAYS = "{n} дн."

# --- staff chat
ST_PICK_TOPIC = "Обращение №{number}: выберите тему."
ST_PICK_NEED = "Обращение №{number}: выберите типовую потребность клиента."
ST_PICK_SHORT = "Обращение №{number}: сокращённый срок ответа — через сколько рабочих дней?"
ST_PICK_EXTEND = (
    "Обращение №{number}: на сколько дней продлить срок? Продлить можно один раз, не больше чем на 30 дней."
)
ST_ASK_CLARIFY = (
    "Обращение №{number}: ответьте на это сообщение (Reply) вопросом клиенту — я перешлю его. "
    "Или командой: /clarify {number} текст вопроса"
)
ST_TAKEN = "Обращение №{number} в работе у: {name}."
ST_URGENT_SET = (
    "Обращение №{number} отмечено как срочное. Сокращённый срок устанавливает руководитель отдела: "
    "кнопка «Сократить срок» или /deadline {number} ДД.ММ.ГГГГ."
)
ST_NOT_URGENT_SET = "Обращение №{number}: не срочное, срок прежний — до {due}."
ST_RECLASSIFIED = "Обращение №{number}: тема «{topic}», потребность «{need}»."
ST_MOVED = "Обращение №{number} передано в отдел: {department}."
ST_MOVED_IN = "Обращение №{number} передано вам из другого отдела."
ST_DEADLINE_SET = "Срок ответа на обращение №{number}: до {due}. Клиенту сообщено."
ST_ONLY_HEAD = "Сокращённый и продлённый сроки устанавливает руководитель отдела."
ST_ONLY_URGENT = "Сокращённый срок ставится срочным обращениям: сначала отметьте обращение №{number} как срочное."
ST_ALREADY_EXTENDED = "Срок по обращению №{number} уже продлевался: продлить можно только один раз."
ST_BAD_DAYS = "Укажите число дней от 1 до {limit}."
ST_BAD_BUTTON = "Не понял эту кнопку (она устарела или повреждена). Откройте карточку заново: /request {number}"
ST_BAD_DATE = "Не понял дату. Напишите так: /deadline {number} 25.03.2026"
ST_NOT_SHORTER = "Новый срок должен быть не раньше сегодняшнего дня и раньше текущего ({due})."
ST_ANSWER_ACCEPTED = "Ответ по обращению №{number} принят и отправляется клиенту ({channel})."
# Not the address itself: this line stays in the chat, untied to the request's card, whose edit
# removes the client's data when he asks (the card shows the address).
ST_ANSWER_EMAIL = "Копия уйдёт на электронную почту клиента (адрес — в карточке обращения)."
ST_QUESTION_ACCEPTED = "Вопрос по обращению №{number} отправляется клиенту. Его ответ придёт сюда."
ST_CLOSED = "Обращение №{number} закрыто без ответа через бот."
ST_NOT_DELIVERED = (
    "Сообщение по обращению №{number} не доставлено клиенту: {channel} сообщает, что клиент недоступен "
    "(заблокировал бота или удалил чат)."
)
ST_NOT_DELIVERED_CONTACT = "Свяжитесь с клиентом: {contacts}."
ST_CALLBACK_TASK = (
    "Задача: перезвонить клиенту по обращению №{number} и сообщить ответ: {contact}. "
    "Звонить в рабочее время."
)
ST_EMAIL_FAILED = "Копию ответа по обращению №{number} на {email} отправить не удалось: {reason}."
ST_EMAIL_ERROR = "письмо не удалось доставить"
ST_CLIENT_ADDED = "Клиент дополнил обращение №{number}:\n{text}"
ST_CLIENT_REPLIED = "Ответ клиента на уточнение по обращению №{number}:\n{text}"
ST_WITHDRAWN = "Клиент удалил свои данные: обращение №{number} отозвано, текст и контакты стёрты."
ST_GONE = "Клиент удалил свои данные — ответить ему через бот нельзя (обращение №{number})."
ST_NO_REQUEST = "Обращения №{number} нет (или оно удалено по истечении срока хранения)."
ST_OTHER_DEPARTMENT = "Обращение №{number} относится к другому отделу."
ST_NOT_OPEN = "Обращение №{number} уже не в работе ({status})."
ST_EMPTY_ANSWER = "Ответ пустой: напишите текст (можно с файлами)."
ST_USAGE = "Как пользоваться: {usage}"
ST_HELP = (
    "Команды для обращений:\n/requests — открытые обращения, сначала просроченные\n/request N — карточка обращения\n"
    "/answer N текст — ответить клиенту\n/clarify N текст — задать клиенту уточняющий вопрос\n"
    "/urgent N да|нет — срочное или нет\n/deadline N ДД.ММ.ГГГГ — сокращённый срок (руководитель)\n"
    "/extend N дни — продлить срок до 30 дней (руководитель)\n/close N — закрыть без ответа\n"
    "Ответить клиенту можно и ответом (Reply) на карточку обращения."
)
ST_LIST_EMPTY = "Открытых обращений нет."
ST_LIST_HEAD = "Открытые обращения ({n}), сначала просроченные:"
ST_LIST_LINE = "№{number} · до {due} ({left}) · {topic}{urgent} · {status}{assignee}"
ST_LIST_URGENT = " · срочное"
ST_LIST_MAYBE_URGENT = " · возможно срочное"
ST_ALERT_HEAD = "Сроки ответов на обращения, {date}:"
ST_ALERT_OVERDUE = "Просрочены: {items}"
ST_ALERT_TODAY = "Срок сегодня: {items}"
ST_ALERT_SOON = "Срок в ближайшие 3 дня: {items}"
ST_ALERT_FOOT = "Список: /requests"

CMD_REQUESTS = "открытые обращения"
CMD_REQUEST = "карточка обращения"
CMD_ANSWER = "ответить на обращение"
CMD_CLARIFY = "уточнить у клиента"
CMD_TAKE = "взять обращение в работу"
CMD_URGENT = "отметить срочность"
CMD_DEADLINE = "сокращённый срок (руководитель)"
CMD_EXTEND = "продлить срок (руководитель)"
CMD_CLOSE = "закрыть обращение"

# --- deleting one's data
FORGET_CONFIRM = (
    "Удалить ваши данные? Будут удалены имя, телефон и почта, история разговора с ботом, тексты и файлы "
    "ваших обращений и ответы на них, ваши записи на приём. Неотвеченные обращения будут отозваны.\n"
    "В журнале останутся только номер, дата и тема обращений — этого требует закон. Отменить удаление нельзя."
)
BTN_FORGET_YES = "Да, удалить"
BTN_FORGET_NO = "Нет, оставить"
FORGET_DONE = "Готово: ваши данные удалены. Если понадобится помощь, просто напишите — начнём сначала."
FORGET_KEPT = "Хорошо, ничего не удаляю."
FORGET_PARTLY = (
    "Большая часть данных удалена, но часть удалить не удалось из-за технической ошибки. "
    "Повторите /forget через несколько минут."
)
CMD_FORGET = "удалить мои данные"
