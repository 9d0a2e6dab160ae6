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
