"""``consult-bot`` command line: demo, run, check-config, migrate, survey-report."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.settings import MIN_SALT, Settings
from handlers.domain.fields import ConfigError

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app import App
    from handlers.domain.directory import Directory
    from handlers.domain.survey_report import Report


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _config_problem(exc: ConfigError) -> int:
    print("Ошибки в файлах настройки — бот не запущен:", file=sys.stderr)
    for problem in exc.problems:
        print(f"  • {problem}", file=sys.stderr)
    return 2


def demo_salt(settings: Settings) -> Settings:
    """The demo makes its own key once and keeps it beside its database (data/survey-salt)."""
    if settings.salt_problem() is None:
        return settings
    path = settings.data_dir / "survey-salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(MIN_SALT), encoding="utf-8")
        path.chmod(0o600)
    return settings.model_copy(update={"survey_salt": SecretStr(path.read_text(encoding="utf-8").strip())})


async def _demo(settings: Settings) -> int:
    from bot.app import App
    from bot.channels.console import ConsoleChannel
    from bot.scheduler import JobRunner

    app = await App.create(demo_salt(settings))
    console = ConsoleChannel(app)
    app.add_channel(console)
    app.fallback = console
    runner = JobRunner(app)
    runner.start(interval_seconds=1.0)  # staff answers, reminders and alerts show up in the demo too
    web = await _demo_workspace(app)
    try:
        await console.run()
        await runner.run_due()  # piped input: what became due by the end is still shown
    finally:
        runner.stop()
        if web is not None:
            await web.cleanup()
        await app.close()
    return 0


DEMO_STAFF = "console:demo-staff"  # the demo's administrator in the web workspace (not the console user)
DEMO_WEB_HOST, DEMO_WEB_PORT = "127.0.0.1", 8090  # the demo's workspace, unless WEB_HOST/WEB_PORT say


async def _demo_workspace(app: App) -> web.AppRunner | None:
    """The staff's web workspace beside the console demo, with a sign-in link printed at once."""
    from bot.web import serve_staff
    from handlers.web_access import LINK_MINUTES, new_link
    from storage.workspace import Signer

    settings = app.settings
    host, port = settings.web_host or DEMO_WEB_HOST, settings.web_port or DEMO_WEB_PORT
    app.services.web_base_url = settings.web_base_url or f"http://{host}:{port}"
    try:
        runner = await serve_staff(app, host, port)
    except OSError as exc:
        print(f"Рабочее место сотрудника (веб) не запущено: {host}:{port} занят ({exc}); задайте другой WEB_PORT.")
        return None
    app.services.admin_ids = app.services.admin_ids | {DEMO_STAFF}
    link = await new_link(app.services, Signer(DEMO_STAFF, "Сотрудник (демо)", ()))
    print(f"Рабочее место сотрудника (веб): {app.services.web_base_url}/staff/\n"
          f"Войти — по одноразовой ссылке (действует {LINK_MINUTES} мин.): {link}")
    return runner


def _print_problems(problems: list[str]) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"Найдено ошибок: {len(problems)}", file=sys.stderr)
    return 1


def check_config(settings: Settings) -> int:
    from bot.app import load_content
    from bot.overrides import admin_ids, with_staff_overrides
    from bot.staff_config import staff_warnings
    from handlers.domain.calendar import WorkCalendar

    problems: list[str] = []
    try:
        directory, surveys, calendar = load_content(settings)
    except ConfigError as exc:
        return _print_problems(exc.problems)
    try:
        directory = with_staff_overrides(directory, settings.staff_chats, settings.department_heads,
                                         settings.department_staff)
    except ConfigError as exc:
        problems += exc.problems
    try:
        admin_ids(settings.staff_admin_ids)
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        return _print_problems(problems)
    print(f"{settings.directory_file}: тем {len(directory.topics)}, отделов {len(directory.departments)}, "
          f"вне компетенции {len(directory.out_of_scope)} — в порядке")
    print(f"{settings.survey_file}: опросов {len(surveys.surveys)} — в порядке")
    print(f"{settings.calendar_file}: годы {', '.join(map(str, calendar.years))} — в порядке")
    for warning in WorkCalendar(calendar).warnings(date.today()):
        print(f"Предупреждение: {settings.calendar_file}: {warning}")
    for warning in staff_warnings(settings, directory):
        print(f"Предупреждение: {warning}")
    if (problem := settings.salt_problem()) is not None:
        print(f"Предупреждение: {problem} — `consult-bot run` не запустится. Задайте длинное случайное значение "
              "(например, `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`), иначе по копии базы "
              "можно узнать, кто из приглашённых прошёл опрос.")
    unverified = [t for t in directory.out_of_scope if t.verify]
    if directory.visit_place.verify or unverified:
        print(f"Требуют сверки администратором (verify: true): место приёма — "
              f"{'да' if directory.visit_place.verify else 'нет'}, ответов «не по теме» — {len(unverified)}")
    visit_rules = [d.id for d in directory.departments if d.visits.verify]
    categories = [c for c in directory.booking.priority_categories if c.verify]
    if visit_rules or categories:
        print(f"Требуют сверки (verify: true): правила записи на приём отделов {', '.join(visit_rules) or '—'}; "
              f"категорий первоочередного приёма — {len(categories)}")
    return _check_channels(settings, directory)


def _check_channels(settings: Settings, directory: Directory) -> int:
    """The web server's addresses, and MAX: its webhook settings, the token, the staff chats' rights."""
    from bot.app import staff_chats
    from bot.web_server import problems

    errors = problems(settings)
    if settings.max_token is not None:
        from bot.channels.max.checks import check

        found = asyncio.run(check(settings, [key[1] for key in staff_chats(directory) if key[0] == "max"]))
        errors += found.errors
        for note in found.notes:
            print(note)
        for warning in found.warnings:
            print(f"Предупреждение: {warning}")
    for error in errors:
        print(f"Ошибка: {error}", file=sys.stderr)
    return 1 if errors else 0


async def _migrate(settings: Settings) -> int:
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        await db.migrate()
    finally:
        await db.close()
    print(f"Миграции применены: {settings.database_url.split('@')[-1]}")
    return 0


async def _run(settings: Settings) -> int:
    from bot.runner import run_channels

    return await run_channels(settings)


async def _load_report(settings: Settings, date_from: date, date_to: date, survey_id: str | None = None) -> Report:
    """``consult-bot survey-report``: the report of a period straight from the database."""
    from handlers.domain.loading import load_surveys
    from handlers.domain.survey_report import build_report
    from storage.db import Database
    from storage.survey import responses_between

    survey = load_surveys(settings.survey_file).find(survey_id)
    if survey is None:
        raise LookupError(survey_id)
    db = Database(settings.database_url)
    try:
        await db.migrate()  # a fresh database: an empty report rather than an error
        responses = await responses_between(db, survey.id, date_from, date_to)
    finally:
        await db.close()
    return build_report(survey, responses, date_from, date_to)


def _survey_report(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.domain.survey_report import parse_day, report_text, write_files

    date_from, date_to = parse_day(args.date_from), parse_day(args.date_to)
    if date_from is None or date_to is None or date_from > date_to:
        print("Укажите период: --from 2026-01-01 --to 2026-03-31 (или 01.01.2026), начало не позже конца",
              file=sys.stderr)
        return 2
    try:
        report = asyncio.run(_load_report(settings, date_from, date_to, args.survey))
    except LookupError:
        print(f"{settings.survey_file}: нет опроса с id {args.survey!r}", file=sys.stderr)
        return 2
    print("\n\n".join(report_text(report)))
    for path in write_files(report, args.out, csv_path=args.csv, charts_dir=args.charts):
        print(f"Записан файл: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="consult-bot", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("demo", help="разговор с ботом в терминале (без токенов)")
    sub.add_parser("run", help="запустить каналы, для которых заданы токены (Telegram, VK)")
    sub.add_parser("check-config", help="проверить directory.yaml, survey.yaml и calendar.yaml")
    sub.add_parser("migrate", help="применить миграции базы данных")
    rep = sub.add_parser("survey-report", help="итоги опроса за период: XLSX (и по желанию CSV и графики)")
    rep.add_argument("--from", dest="date_from", required=True, help="начало периода, 2026-01-01")
    rep.add_argument("--to", dest="date_to", required=True, help="конец периода включительно, 2026-03-31")
    rep.add_argument("--out", type=Path, required=True, help="куда записать XLSX")
    rep.add_argument("--survey", help="id опроса из survey.yaml (по умолчанию — default)")
    rep.add_argument("--csv", type=Path, help="записать ещё и CSV сюда")
    rep.add_argument("--charts", type=Path, help="папка для графиков PNG")
    args = parser.parse_args(argv)

    settings = Settings()
    _setup_logging("WARNING" if args.cmd in ("demo", "check-config", "survey-report") else settings.log_level)
    try:
        if args.cmd == "check-config":
            return check_config(settings)
        if args.cmd == "demo":
            return asyncio.run(_demo(settings))
        if args.cmd == "migrate":
            return asyncio.run(_migrate(settings))
        if args.cmd == "run":
            return asyncio.run(_run(settings))
        if args.cmd == "survey-report":
            return _survey_report(settings, args)
    except ConfigError as exc:
        return _config_problem(exc)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
