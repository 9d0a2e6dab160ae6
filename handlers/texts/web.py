"""Texts of /web, the staff's sign-in link to the web workspace (the pages' own words are in
bot/web/templates)."""

CMD_WEB = "ссылка для входа в рабочее место сотрудника (веб)"
WEB_LINK = ("Ссылка для входа в рабочее место сотрудника — действует {minutes} мин., открыть можно один раз:\n"
            "{link}\n\nНе пересылайте её: по ней войдут от вашего имени.")
WEB_LINK_SENT_PRIVATELY = "Ссылку для входа отправил вам в личные сообщения."
WEB_LINK_NOT_DELIVERED = ("Не удалось отправить ссылку в личные сообщения. Напишите боту в личном чате "
                          "(например, /start) и повторите /web здесь или там.")
WEB_NOT_CONFIGURED = ("Рабочее место сотрудника не настроено: администратору нужно задать адрес WEB_BASE_URL "
                      "(см. README).")

# --- the head's report on written requests (page, XLSX, CSV) and the register
RQREP_HOURS = "{h} ч"
RQREP_DAYS = "{d} дн."
RQREP_DAYS_HOURS = "{d} дн. {h} ч"
RQREP_DEADLINE_KINDS = {"standard": "обычный", "shortened": "сокращённый", "extended": "продлённый"}
RQREP_OUTCOMES = {"on_time": "ответ в срок", "late": "ответ с нарушением срока",
                  "overdue": "нет ответа, срок истёк", "open": "в работе, срок не истёк",
                  "closed": "закрыто без ответа"}
RQREP_TITLE = "Обращения: {department}"
RQREP_ALL_DEPARTMENTS = "все отделы"
RQREP_PERIOD = "Период (дата поступления)"
RQREP_RECEIVED = "Поступило"
RQREP_ANSWERED = "Дан ответ"
RQREP_ON_TIME = "В срок"
RQREP_LATE_ANSWERED = "С нарушением срока"
RQREP_OVERDUE_OPEN = "Без ответа, срок истёк"
RQREP_OPEN_IN_TIME = "В работе, срок не истёк"
RQREP_CLOSED_UNANSWERED = "Закрыто без ответа"
RQREP_ON_TIME_SHARE = "Доля ответов в срок"
RQREP_MEDIAN = "Медианное время ответа, ч"
RQREP_AS_OF = "Данные на"
RQREP_BY_TOPIC = "По темам"
RQREP_BY_NEED = "По типовым потребностям"
RQREP_BREAKDOWN_COLUMNS = ("Тема / потребность", "Поступило", "Дан ответ", "В срок", "Нарушен срок")
RQREP_SHEET_SUMMARY = "Сводка"
RQREP_SHEET_LATE = "Нарушен срок"
RQREP_LATE_COLUMNS = ("№", "Поступило", "Тема", "Потребность", "Срок ответа", "Вид срока", "Дан ответ",
                      "Дней просрочки", "Итог", "Исполнитель")
RQREP_SHEET_ALL = "Все обращения"
RQREP_ALL_COLUMNS = ("№", "Поступило", "Отдел", "Тема", "Потребность", "Статус", "Срок ответа", "Вид срока",
                     "Дан ответ", "Итог", "Дней просрочки", "Часов до ответа", "Исполнитель")
RQREG_SHEET = "Реестр"
RQREG_TITLE = "Реестр обращений за {period}: {department}"
RQREG_ANONYMISED = "обезличено по просьбе заявителя"
RQREG_URGENT = {True: "срочное", False: "не срочное", None: ""}
RQREG_COLUMNS = ("№", "Поступило", "Заявитель", "Канал", "Отдел", "Тема", "Потребность", "Срочность",
                 "Срок ответа", "Вид срока", "Статус", "Дан ответ", "Исполнитель", "Закрыто")

# --- the workspace's pages: words shown from code (the rest is in the templates)
WEB_URGENCY = {"yes": "срочное", "no": "не срочное", "maybe": "возможно срочное"}
WEB_URGENCY_NONE = "—"
WEB_DUE_FILTERS = {"overdue": "просроченные", "soon": "срок в ближайшие 3 дня"}
WEB_STATUS_OPEN = "открытые"
WEB_STATUS_ALL = "все"
WEB_UNASSIGNED = "не назначен"
WEB_ALL_DEPARTMENTS = "Все отделы"
WEB_WHO_CLIENT = "Клиент"
WEB_WHO_SYSTEM = "Бот"
WEB_MESSAGE_KINDS = {
    ("client", "text"): "Обращение", ("client", "addition"): "Дополнение клиента",
    ("client", "reply"): "Ответ клиента на уточнение", ("staff", "answer"): "Ответ клиенту",
    ("staff", "question"): "Уточняющий вопрос клиенту", ("staff", "notice"): "Уведомление клиенту",
}
WEB_DELIVERY = {True: "доставлено", False: "не доставлено", None: "доставка ожидается"}
WEB_AUDIT_ACTIONS = {
    "registered": "Обращение зарегистрировано", "possibly_urgent": "Найдены признаки срочности",
    "status": "Статус", "urgent": "Срочность", "topic": "Тема", "department": "Отдел", "need": "Потребность",
    "due_at": "Срок ответа", "deadline_kind": "Вид срока", "extended": "Срок продлён", "assignee_id": "Исполнитель",
    "delivered": "Сообщение доставлено клиенту", "not_delivered": "Сообщение не доставлено клиенту",
    "emailed": "Копия ответа отправлена на почту", "email_failed": "Копию ответа на почту отправить не удалось",
    "anonymised": "Данные клиента удалены по его просьбе", "answer": "Написан ответ", "question": "Задан вопрос",
    "notice": "Отправлено уведомление", "withdrawn": "Обращение отозвано",
}
WEB_YES_NO = {"True": "да", "False": "нет"}
WEB_FILE_UNAVAILABLE = "Файл хранится в канале «{channel}»; получить его оттуда сейчас не удалось."
