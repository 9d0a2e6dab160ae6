"""Texts of personal visits: booking, "my visits", reminders, staff notifications and commands."""

BTN_VISITS = "Личный приём"
BTN_VISITS_MINE = "Мои записи"
BTN_VISITS_MINE_N = "Мои записи ({n})"
BTN_VISITS_NEW = "Записаться на приём"
BTN_VISITS_PRIORITY = "У меня право на первоочередной приём"
BTN_VISITS_NO_PRIORITY = "Я не отношусь к этим категориям"
BTN_VISITS_OTHER_DEP = "Другой отдел"
BTN_VISITS_AM = "Утро ({hours})"
BTN_VISITS_PM = "День ({hours})"
BTN_VISITS_BOOK = "Записаться"
BTN_VISITS_OTHER_TIME = "Выбрать другое время"
BTN_VISITS_CANCEL = "Отменить запись"
BTN_VISITS_CANCEL_ONE = "Отменить: {when}"
BTN_VISITS_CANCEL_YES = "Да, отменить запись"
BTN_VISITS_CANCEL_NO = "Нет, оставить запись"
BTN_VISITS_EARLIEST = "Ближайшее: {when}"

VISITS_START = (
    "Личный приём проходит по адресу: {address}.\n"
    "Часы приёма по московскому времени: {hours}.\n"
    "Выберите тему вопроса — я запишу вас в нужный отдел:"
)
VISITS_DAYS = "Запись на личный приём\n{department}\n\nВыберите удобный день (или напишите дату, например 25.03):"
VISITS_DAYS_PRIORITY = (
    "Запись на личный приём в первоочередном порядке ({category})\n{department}\n\n"
    "Вам доступны ближайшие свободные часы, включая места, зарезервированные для первоочередного приёма. "
    "Выберите время или день:"
)
VISITS_NO_DAYS = (
    "К сожалению, в ближайшие {days} дн. свободного времени для приёма в этом отделе нет.\n"
    "Позвоните, пожалуйста, по телефону {phones} — специалисты подберут время."
)
VISITS_DISABLED = "Запись на личный приём в этот отдел через бот не ведётся. Позвоните, пожалуйста: {phones}."
VISITS_HALF = "{day}. Когда вам удобнее — утром или днём?"
VISITS_TIMES = "{day}, {half}. Выберите время приёма по московскому времени (или напишите его, например 10:30):"
HALF_AM = "утро"
HALF_PM = "день"
VISITS_PRIORITY = (
    "Право на личный приём в первоочередном порядке имеют отдельные категории граждан "
    "(часть 7 статьи 13 Федерального закона № 59-ФЗ). Если вы к ним относитесь, выберите свою категорию. "
    "На приём возьмите документ, который подтверждает это право."
)
VISITS_PRIORITY_SET = "Хорошо: {category}. Вам предложены ближайшие свободные часы."
VISITS_PRIORITY_NONE = "Нет такой категории — не страшно, запишу вас в общем порядке."

VISITS_CONFIRM = (
    "Проверьте, пожалуйста, запись на личный приём:\n"
    "Когда: {when} по московскому времени\n"
    "Куда: {department}\n"
    "Адрес: {address}\n"
    "На чьё имя: {name}\n"
    "Телефон: {phone}"
)
VISITS_CONFIRM_PRIORITY = "Первоочередной приём: {category} (возьмите подтверждающий документ)"

VISITS_BOOKED = (
    "Вы записаны на личный приём.\n"
    "Когда: {when} по московскому времени\n"
    "Куда: {department}\n"
    "Адрес: {address}\n"
    "{route}\n"
    "Что взять с собой: {bring}\n"
    "Номер записи: {id}."
)
VISITS_BOOKED_REMIND = "Я напомню о приёме за {hours}. Отменить запись можно в любой момент в разделе «Мои записи»."
VISITS_BOOKED_NO_REMIND = "Отменить запись можно в любой момент в разделе «Мои записи»."
VISITS_DONE = "Запись № {id} сохранена. Что-нибудь ещё?"
VISITS_ICS_CAPTION = "Файл для календаря: добавьте приём в свой календарь"
VISITS_ICS_SUMMARY = "Личный приём: {department}"
VISITS_ICS_DESCRIPTION = "{how}\nЧто взять с собой: {bring}\nНомер записи: {id}"

VISITS_TAKEN = "Извините, это время только что заняли. Выберите, пожалуйста, другое:"
VISITS_CLOSED_NOW = "Извините, на это время приём только что закрыт. Выберите, пожалуйста, другое:"
VISITS_BUSY = "У вас уже есть запись на это время. Её можно посмотреть в разделе «Мои записи»."
VISITS_TOO_MANY = (
    "У вас уже {n} будущих записи — это наибольшее число одновременных записей. "
    "Отмените одну из них, чтобы записаться снова."
)
VISITS_PHONE_LIMIT = (
    "Записаться не получилось: на этот номер телефона уже записано наибольшее число приёмов — {n}. "
    "Если записи ваши, отмените ненужную в разделе «Мои записи» того мессенджера, где записывались, "
    "и запишитесь снова."
)
VISITS_BAD_DATE = "Не понял дату. Выберите день кнопкой или напишите дату, например 25.03."
VISITS_PAST_DATE = "Дата {day} уже прошла. Выберите, пожалуйста, день из списка."
VISITS_DAY_OFF = "{day} — нерабочий день, приёма нет. Выберите, пожалуйста, день из списка."
VISITS_TOO_FAR = "Запись открыта на {days} дн. вперёд, до {day}. Выберите, пожалуйста, день из списка."
VISITS_DAY_FULL = "На {day} свободного времени нет. Выберите, пожалуйста, другой день."
VISITS_BAD_TIME = "Не понял время. Выберите его кнопкой или напишите, например 10:30."
VISITS_TIME_NOT_FREE = "{time} — это время недоступно для записи. Свободно: {free}."
VISITS_SLOT_GONE = "Это время уже недоступно. Выберите, пожалуйста, другое."

VISITS_MINE = "Ваши записи на личный приём:"
VISITS_MINE_EMPTY = (
    "У вас нет предстоящих записей на личный приём. "
    "Записи, сделанные в другом мессенджере, видны и отменяются там, где были сделаны."
)
VISITS_MINE_LINE = "№ {id}. {when} — {department}"
VISITS_CANCEL_ASK = "Отменить запись № {id}?\n{when} — {department}"
VISITS_CANCELLED = "Запись № {id} на {when} отменена. Время освобождено для других посетителей."
VISITS_CANCEL_KEPT = "Хорошо, запись остаётся в силе."
VISITS_NOT_YOURS = "Запись с таким номером среди ваших не найдена. Вот ваши записи:"
VISITS_ALREADY_CANCELLED = "Запись № {id} уже отменена."
VISITS_ALREADY_PAST = "Приём по записи № {id} уже начался или прошёл — отменить его нельзя."

# --- reminders and notices to clients
VISITS_REMIND = (
    "Напоминаю: {day} в {time} по московскому времени вас ждут на личном приёме.\n"
    "{department}\n"
    "Адрес: {address}\n"
    "Что взять с собой: {bring}\n"
    "Если планы изменились, отмените запись — время освободится для других."
)
VISITS_STAFF_CANCELLED_CLIENT = (
    "К сожалению, ваш личный приём отменён: {reason}.\n"
    "Было назначено: {when} по московскому времени, {department}.\n"
    "Приносим извинения. Выберите, пожалуйста, другое время."
)
VISITS_STAFF_CANCELLED_FREE = "Ближайшее свободное время: {free}."
VISITS_NO_REASON = "сотрудники не смогут принять в это время"

# --- staff
VISITS_STAFF_NEW = "Новая запись на личный приём № {id}\n{when}\n{department}\n{who}"
VISITS_STAFF_CANCEL = "Клиент отменил запись на личный приём № {id}\n{when}\n{department}\n{who}"
VISITS_STAFF_FORGOTTEN = (
    "Запись на личный приём № {id} отменена: клиент удалил свои данные.\n{when}\n{department}"
)
VISITS_STAFF_WHO = "Посетитель: {name}, тел. {phone}"
VISITS_STAFF_TOPIC = "Тема: {topic}"
VISITS_STAFF_PRIORITY = "Первоочередной приём: {category}"
VISITS_AGENDA_HEAD = "Личный приём на {day} — {department}:"
VISITS_AGENDA_EMPTY = "Записей на {day} нет — {department}."
VISITS_AGENDA_LINE = "{time} {name}, {phone}{topic}{priority}"
VISITS_TODAY_EMPTY = "Записей на {day} нет."
VISITS_WEEK_HEAD = "Личный приём с {first} по {last}:"
VISITS_WEEK_EMPTY = "Записей с {first} по {last} нет."
VISITS_NO_STAFF_DEPARTMENT = (
    "Укажите отдел: {ids}. Например: {example}. В чате сотрудников отдела его можно не указывать."
)
VISITS_UNKNOWN_DEPARTMENT = "Нет отдела «{value}». Отделы: {ids}."
VISITS_CLOSE_USAGE = (
    "Как закрыть время приёма:\n"
    "/visits_close [отдел] <дата>[-<дата>] [<с>-<до>] [причина]\n"
    "Примеры:\n"
    "/visits_close personnel 25.03 14:00-18:00 совещание\n"
    "/visits_close awards 01.04-10.04 отпуск\n"
    "Без часов закрывается весь день. Записанным на это время клиентам я сообщу об отмене "
    "и предложу другое время."
)
VISITS_CLOSE_PAST = "Этот период уже прошёл — закрывать нечего."
VISITS_CLOSE_TOO_LONG = "Закрыть можно не больше 92 дней за раз."
VISITS_CLOSED_DONE = "Приём закрыт (№ {id}): {department}, {period}{reason}."
VISITS_CLOSED_CANCELLED = "Отменены записи ({n}), клиентам отправлено сообщение:"
VISITS_CLOSED_NONE = "Записей на это время не было."
VISITS_CLOSURES_HEAD = "Закрытые периоды приёма:"
VISITS_CLOSURES_EMPTY = "Закрытых периодов приёма нет."
VISITS_CLOSURE_LINE = "№ {id}. {department}: {period}{reason}"
VISITS_REOPEN_USAGE = "Укажите номер закрытого периода: /visits_reopen 12 (номера — в /visits_closures)."
VISITS_REOPENED = "Период № {id} открыт снова: {department}, {period}. Отменённые записи не восстанавливаются."
VISITS_REOPEN_UNKNOWN = "Закрытого периода № {id} нет (или он другого отдела)."

CMD_VISITS = "записи на личный приём на сегодня"
CMD_VISITS_WEEK = "записи на личный приём на неделю"
CMD_VISITS_CLOSE = "закрыть время приёма (отпуск, совещание)"
CMD_VISITS_CLOSURES = "закрытые периоды приёма"
CMD_VISITS_REOPEN = "снова открыть закрытый период"
