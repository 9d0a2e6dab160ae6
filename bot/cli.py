"""``consult-bot`` command line: demo, run, check-config, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import date

from bot.config import ConfigError
from bot.settings import Settings


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _config_problem(exc: ConfigError) -> int:
    print("Ошибки в файлах настройки — бот не запущен:", file=sys.stderr)
    for problem in exc.problems:
        print(f"  • {problem}", file=sys.stderr)
    return 2


async def _demo(settings: Settings) -> int:
    from bot.app import App
    from bot.channels.console import ConsoleChannel

    app = await App.create(settings)
    console = ConsoleChannel(app)
    app.add_channel(console)
    app.fallback = console
    try:
        await console.run()
    finally:
        await app.close()
    return 0


def check_config(settings: Settings) -> int:
    from bot.app import load_content

    try:
        directory, surveys, calendar = load_content(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"Найдено ошибок: {len(exc.problems)}", file=sys.stderr)
        return 1
    print(f"{settings.directory_file}: тем {len(directory.topics)}, отделов {len(directory.departments)}, "
          f"вне компетенции {len(directory.out_of_scope)} — в порядке")
    print(f"{settings.survey_file}: опросов {len(surveys.surveys)} — в порядке")
    print(f"{settings.calendar_file}: годы {', '.join(map(str, calendar.years))} — в порядке")
    this_year = date.today().year
    for year in (this_year, this_year + 1):
        if year not in calendar.years:
            print(f"Предупреждение: {settings.calendar_file}: нет данных о сокращённых днях {year} года; "
                  "до их внесения сокращёнными считаются дни перед праздниками по ст. 95 ТК РФ.")
    unverified = [t for t in directory.out_of_scope if t.verify]
    if directory.visit_place.verify or unverified:
        print(f"Требуют сверки администратором (verify: true): место приёма — "
              f"{'да' if directory.visit_place.verify else 'нет'}, ответов «не по теме» — {len(unverified)}")
    return 0


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="consult-bot", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("demo", help="разговор с ботом в терминале (без токенов)")
    sub.add_parser("run", help="запустить каналы, для которых заданы токены (Telegram, VK)")
    sub.add_parser("check-config", help="проверить directory.yaml, survey.yaml и calendar.yaml")
    sub.add_parser("migrate", help="применить миграции базы данных")
    args = parser.parse_args(argv)

    settings = Settings()
    _setup_logging("WARNING" if args.cmd in ("demo", "check-config") else settings.log_level)
    try:
        if args.cmd == "check-config":
            return check_config(settings)
        if args.cmd == "demo":
            return asyncio.run(_demo(settings))
        if args.cmd == "migrate":
            return asyncio.run(_migrate(settings))
        if args.cmd == "run":
            return asyncio.run(_run(settings))
    except ConfigError as exc:
        return _config_problem(exc)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
