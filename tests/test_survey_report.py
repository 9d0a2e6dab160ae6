"""Survey results: figures on 1,000 generated responses checked against an independent count,
the XLSX checked cell by cell, real PNG charts, CSV, the staff command and the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import statistics
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.cli import main as cli_main
from handlers.domain.loading import load_surveys
from handlers.domain.survey import Survey
from handlers.domain.survey_report import (
    build_report,
    chart_figure,
    parse_day,
    render_charts,
    report_text,
    scale_legend,
    short_text,
    to_csv,
    to_xlsx,
)
from storage.db import Database
from storage.survey import StoredResponse, responses_between, save_response
from tests.conftest import ROOT, Dialogue
from tests.survey_helpers import BOTH_SOURCES

SITE, VK = BOTH_SOURCES
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEXTS = ["Конкурсы", "Награды", "Аттестация", "Кадровый резерв", "Ничего"]
LEGEND = "1 балл — найти информацию было очень тяжело; 5 баллов — найти необходимую информацию было очень легко"


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_surveys(ROOT / "survey.yaml").get("appendix1")


def generate(survey: Survey, n: int, seed: int = 7) -> list[StoredResponse]:
    """Random but plausible responses; some questions skipped, a few with an old option wording."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        answers: dict = {}
        for q in survey.questions:
            if rng.random() < 0.08:
                continue  # skipped
            if q.type == "single":
                answers[q.id] = rng.choice(q.options) if rng.random() > 0.01 else "Старая формулировка"
            elif q.type == "multiple":
                answers[q.id] = [o for o in q.options if rng.random() < 0.6] or [q.options[0]]
            elif q.type == "scale":
                answers[q.id] = rng.choices(range(1, 6), weights=[1, 2, 3, 5, 4])[0]
            else:
                answers[q.id] = rng.choice(TEXTS) + f" {i}"
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(90))
        out.append(StoredResponse(f"{i:032x}", survey.id, day, rng.choice(["menu", "consultation", "visit"]),
                                  answers))
    return out


def test_statistics_of_1000_responses_match_an_independent_count(survey: Survey) -> None:
    responses = generate(survey, 1000)
    report = build_report(survey, responses, date(2026, 1, 1), date(2026, 3, 31))
    assert report.total == 1000
    for stat, q in zip(report.questions, survey.questions, strict=True):
        given = [r.answers[q.id] for r in responses if q.id in r.answers]
        assert stat.answered == len(given)
        if q.type == "text":
            assert list(stat.texts) == [t for r in sorted(responses, key=lambda r: (r.submitted_on, r.id))
                                        if (t := r.answers.get(q.id))]
            continue
        values = list(range(1, 6)) if q.type == "scale" else q.options
        by_label = {o.label: o for o in stat.options}
        for value in values:
            count = sum(1 for g in given if (value in g if isinstance(g, list) else g == value))
            label = {1: "1 балл", 2: "2 балла", 3: "3 балла", 4: "4 балла", 5: "5 баллов"}[value] \
                if q.type == "scale" else value
            assert by_label[label].count == count, (q.id, value)
            assert by_label[label].share == pytest.approx(count / len(given))
        if q.type == "single":
            old = sum(1 for g in given if g == "Старая формулировка")
            assert old > 0
            assert by_label["Старая формулировка (прежняя формулировка)"].count == old
            assert sum(o.count for o in stat.options) == len(given)
        if q.type == "scale":
            assert stat.mean == pytest.approx(statistics.fmean(given))
        else:
            assert stat.mean is None
    q1 = [r.answers["q1"] for r in responses if "q1" in r.answers]
    satisfied = sum(1 for v in q1 if v == "Скорее удовлетворен")
    headline = report.headline
    assert headline is not None
    assert (headline.count, headline.answered) == (satisfied, len(q1))
    assert headline.share == pytest.approx(satisfied / len(q1))
    text = "\n\n".join(report_text(report))
    share = f"{satisfied / len(q1) * 100:.1f}".replace(".", ",")
    assert f"«Скорее удовлетворен» (вопрос 1): {share} % ответивших ({satisfied} из {len(q1)})" in text
    q5_mean = statistics.fmean(r.answers["q5"] for r in responses if "q5" in r.answers)
    assert f"Средняя оценка: {q5_mean:.2f}".replace(".", ",") in text
    assert all(len(m) <= 3500 for m in report_text(report))
    assert "… и ещё" in text  # the rest of the free texts are in the spreadsheet
    q5 = next(s for s in report.questions if s.question.id == "q5")
    assert [o.label for o in q5.options] == ["5 баллов", "4 балла", "3 балла", "2 балла", "1 балл"]  # Appendix 1
    assert f"{LEGEND}\n• 5 баллов — " in text


def small_set() -> list[StoredResponse]:
    return [
        StoredResponse("b", "appendix1", date(2026, 3, 5), "consultation", {
            "q1": "Скорее не удовлетворен", "q2": [SITE, VK], "q3": "Затрудняюсь ответить", "q4": "Нет", "q5": 2,
            "q7": "Упростить меню", "q8": 3, "q9": "Ленинградская область"}),
        StoredResponse("a", "appendix1", date(2026, 3, 2), "menu", {
            "q1": "Скорее удовлетворен", "q2": [SITE], "q3": "Пользуюсь постоянно", "q4": "Да", "q5": 5,
            "q6": "Конкурсы", "q8": 4, "q9": "Санкт-Петербург"}),
        StoredResponse("c", "appendix1", date(2026, 3, 5), "visit", {
            "q1": "Скорее удовлетворен", "q2": [VK], "q3": "Пользуюсь время от времени", "q4": "Да",
            "q6": "Награды", "q8": 5, "q9": "Ленинградская область"}),
    ]


def test_xlsx_cell_by_cell(survey: Survey) -> None:
    report = build_report(survey, small_set(), date(2026, 3, 1), date(2026, 3, 31))
    wb = load_workbook(io.BytesIO(to_xlsx(report)))
    assert wb.sheetnames == ["Сводка", "Ответы"]
    ws = wb["Сводка"]

    def row(n: int) -> list:
        return [c.value for c in ws[n]][:5]

    assert ws["A1"].value == " ".join(survey.title.split())
    assert row(2)[:2] == ["Период", "01.03.2026 – 31.03.2026"]
    assert row(3)[:2] == ["Число ответов", 3]
    assert ws["A4"].value == "Доля «Скорее удовлетворен» среди ответивших на вопрос 1"
    assert ws["B4"].value == pytest.approx(2 / 3) and ws["B4"].number_format == "0.0%"
    assert row(7) == ["№", "Вопрос", "Вариант / показатель", "Число", "Доля"]
    q = {x.id: short_text(x) for x in survey.questions}
    expected = {
        8: [1, q["q1"], "Скорее удовлетворен", 2, 2 / 3],
        9: [1, None, "Скорее не удовлетворен", 1, 1 / 3],
        10: [1, None, "Затрудняюсь ответить", 0, 0],
        11: [1, None, "Ответили на вопрос", 3, 1],
        13: [2, q["q2"], SITE, 2, 2 / 3],
        14: [2, None, VK, 2, 2 / 3],
        15: [2, None, "Ответили на вопрос", 3, 1],
        17: [3, q["q3"], "Пользуюсь постоянно", 1, 1 / 3],
        18: [3, None, "Пользуюсь время от времени", 1, 1 / 3],
        19: [3, None, "Затрудняюсь ответить", 1, 1 / 3],
        22: [4, q["q4"], "Да", 2, 2 / 3],
        23: [4, None, "Нет", 1, 1 / 3],
        24: [4, None, "Затрудняюсь ответить", 0, 0],
        # the scales as Appendix 1 lists them, «5 баллов» first, with what 1 and 5 mean
        27: [5, q["q5"], "5 баллов", 1, 0.5],
        28: [5, None, "4 балла", 0, 0],
        29: [5, None, "3 балла", 0, 0],
        30: [5, None, "2 балла", 1, 0.5],
        31: [5, None, "1 балл", 0, 0],
        32: [5, None, "Ответили на вопрос", 2, 2 / 3],
        33: [5, None, "Средняя оценка", 3.5, None],
        34: [5, None, LEGEND, None, None],
        36: [6, q["q6"], "Текстовых ответов", 2, 2 / 3],
        38: [7, q["q7"], "Текстовых ответов", 1, 1 / 3],
        40: [8, q["q8"], "5 баллов", 1, 1 / 3],
        42: [8, None, "3 балла", 1, 1 / 3],
        44: [8, None, "1 балл", 0, 0],
        46: [8, None, "Средняя оценка", 4, None],
        47: [8, None, LEGEND, None, None],
        49: [9, q["q9"], "Текстовых ответов", 3, 1],
    }
    for n, values in expected.items():
        got = row(n)
        assert got[:4] == values[:4], n
        assert got[4] == (pytest.approx(values[4]) if values[4] is not None else None), n
    for blank in (12, 16, 21, 26, 35, 37, 39, 48, 50):
        assert row(blank) == [None] * 5, blank

    raw = wb["Ответы"]
    header = [c.value for c in raw[1]]
    assert header[:4] == ["№", "Дата", "Источник", f"1. {q['q1']}"]
    assert header[11] == f"9. {q['q9']}" and len(header) == 12
    rows = [[c.value for c in r] for r in raw.iter_rows(min_row=2)]
    assert rows == [
        [1, datetime(2026, 3, 2), "из меню", "Скорее удовлетворен", SITE, "Пользуюсь постоянно", "Да", 5,
         "Конкурсы", None, 4, "Санкт-Петербург"],
        [2, datetime(2026, 3, 5), "после консультации", "Скорее не удовлетворен", f"{SITE}; {VK}",
         "Затрудняюсь ответить", "Нет", 2, None, "Упростить меню", 3, "Ленинградская область"],
        [3, datetime(2026, 3, 5), "после приёма", "Скорее удовлетворен", VK, "Пользуюсь время от времени", "Да",
         None, "Награды", None, 5, "Ленинградская область"],
    ]


def test_csv_has_one_row_per_response(survey: Survey) -> None:
    report = build_report(survey, small_set(), date(2026, 3, 1), date(2026, 3, 31))
    rows = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8"))))
    assert rows[0] == ["response", "date", "source", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]
    assert rows[1] == ["1", "2026-03-02", "menu", "Скорее удовлетворен", SITE, "Пользуюсь постоянно", "Да", "5",
                       "Конкурсы", "", "4", "Санкт-Петербург"]
    assert rows[2][4] == f"{SITE}; {VK}" and rows[3][7] == ""
    assert len(rows) == 4


def assert_chart(png: bytes) -> None:
    assert png.startswith(PNG_SIGNATURE) and len(png) > 10_000
    with Image.open(io.BytesIO(png)) as img:
        img.verify()
    with Image.open(io.BytesIO(png)) as img:
        assert img.width >= 800 and img.height >= 300
        colors = img.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colors is not None and len(colors) > 50  # bars, text and axes, not a blank canvas
        bar_blue = sum(c for c, rgb in colors if rgb == (0x2B, 0x6C, 0xB0))
        assert bar_blue > 2000


def test_charts_are_real_png_images(survey: Survey) -> None:
    report = build_report(survey, generate(survey, 1000), date(2026, 1, 1), date(2026, 3, 31))
    charts = render_charts(report)
    assert [c.filename for c in charts] == [f"survey-appendix1-20260101-20260331-q{n}.png" for n in (1, 2, 3, 4, 5, 8)]
    for chart in charts:
        assert_chart(chart.png)
    empty = build_report(survey, [], date(2026, 1, 1), date(2026, 3, 31))
    assert render_charts(empty) == []
    assert report_text(empty) == [f"Опрос «{' '.join(survey.title.split())}»\nПериод: 01.01.2026 – 31.03.2026\n"
                                  "Ответов: 0\nЗа этот период ответов нет."]


def test_scale_charts_say_what_1_and_5_mean(survey: Survey) -> None:
    report = build_report(survey, generate(survey, 200), date(2026, 1, 1), date(2026, 3, 31))
    for stat in (s for s in report.questions if s.question.type == "scale"):
        assert scale_legend(stat.question) == LEGEND
        ax = chart_figure(stat).axes[0]
        assert " ".join(ax.get_xlabel().split()) == LEGEND
        assert [t.get_text() for t in ax.get_xticklabels()] == ["5 баллов", "4 балла", "3 балла", "2 балла", "1 балл"]
    q1 = chart_figure(report.questions[0]).axes[0]
    assert q1.get_xlabel() == "Число ответов"  # options are no scale: no legend


def test_dates_are_parsed_in_both_forms() -> None:
    assert parse_day("2026-03-31") == date(2026, 3, 31)
    assert parse_day("31.03.2026") == date(2026, 3, 31)
    assert parse_day("2026-02-30") is None and parse_day("вчера") is None


async def _store(db: Database, survey: Survey, responses: list[StoredResponse]) -> None:
    for r in responses:
        assert await save_response(db, survey.id, r.answers, source=r.source, on=r.submitted_on)


async def test_period_is_inclusive_in_the_database(app: App, survey: Survey) -> None:
    responses = generate(survey, 60, seed=3)
    await _store(app.services.db, survey, responses)
    start, end = date(2026, 1, 20), date(2026, 2, 10)
    got = await responses_between(app.services.db, survey.id, start, end)
    expected = [r for r in responses if start <= r.submitted_on <= end]
    assert len(got) == len(expected) > 0
    assert sorted(map(repr, (r.answers for r in got))) == sorted(map(repr, (r.answers for r in expected)))
    assert await responses_between(app.services.db, "other", start, end) == []


async def test_staff_command_sends_figures_charts_and_files(app: App, console: Dialogue, survey: Survey,
                                                            tmp_path: Path) -> None:
    await _store(app.services.db, survey, small_set())
    answer = await console.say("/survey 2026-03-01 2026-03-31")
    assert "только сотрудникам" in answer

    files = tmp_path / "staff-files"
    staff = ConsoleChannel(app, stdin=io.StringIO(), stdout=io.StringIO(), user_id="admin", files_dir=files)
    answer = await staff.send_line("/survey 01.03.2026 31.03.2026")
    assert "Период: 01.03.2026 – 31.03.2026\nОтветов: 3" in answer
    assert "«Скорее удовлетворен» (вопрос 1): 66,7 % ответивших (2 из 3)" in answer
    assert "• Скорее удовлетворен — 2 (66,7 %)" in answer
    assert "Средняя оценка: 3,50" in answer and "Средняя оценка: 4,00" in answer
    assert "«Упростить меню»" in answer and "«Санкт-Петербург»" in answer
    assert "Выберите тему вопроса" not in answer  # no menu after a report
    stem = "survey-appendix1-20260301-20260331"
    for n in (1, 2, 3, 4, 5, 8):
        assert_chart((files / f"{stem}-q{n}.png").read_bytes())
    assert not (files / f"{stem}-q6.png").exists()
    wb = load_workbook(files / f"{stem}.xlsx")
    assert wb["Сводка"]["B3"].value == 3 and wb["Ответы"].max_row == 4
    assert (files / f"{stem}.csv").read_text(encoding="utf-8").count("\n") == 4

    answer = await staff.send_line("/survey 2026-04-01 2026-03-01")
    assert "Начало периода позже его конца" in answer
    answer = await staff.send_line("/survey 2026-03-01 2026-03-31 nosuch")
    assert "Опроса «nosuch» нет. Есть: appendix1." in answer
    answer = await staff.send_line("/survey 2026-03-01")
    assert "Напишите период" in answer
    answer = await staff.send_line("/survey")  # the last 30 days: 16.02–17.03.2026
    assert "Период: 16.02.2026 – 17.03.2026\nОтветов: 3" in answer


def test_cli_writes_the_report(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str], survey: Survey) -> None:
    async def fill() -> None:
        db = Database(db_url)
        try:
            await _store(db, survey, small_set())
        finally:
            await db.close()

    asyncio.run(fill())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SURVEY_FILE", str(ROOT / "survey.yaml"))
    out = tmp_path / "out" / "report.xlsx"
    code = cli_main(["survey-report", "--from", "2026-03-03", "--to", "2026-03-31", "--out", str(out),
                     "--csv", str(tmp_path / "report.csv"), "--charts", str(tmp_path / "charts")])
    assert code == 0
    printed = capsys.readouterr().out
    assert "Ответов: 2" in printed and f"Записан файл: {out}" in printed
    wb = load_workbook(out)
    assert wb["Сводка"]["B2"].value == "03.03.2026 – 31.03.2026" and wb["Сводка"]["B3"].value == 2
    # two responses of the same day: their order is random (ids are random for anonymity)
    assert sorted(c.value for c in wb["Ответы"]["D"][1:]) == ["Скорее не удовлетворен", "Скорее удовлетворен"]
    assert (tmp_path / "report.csv").read_text(encoding="utf-8").count("\n") == 3
    assert len(list((tmp_path / "charts").glob("*.png"))) == 6

    assert cli_main(["survey-report", "--from", "2026-03-31", "--to", "2026-03-01", "--out", str(out)]) == 2
    assert cli_main(["survey-report", "--from", "2026-03-01", "--to", "2026-03-31", "--out", str(out),
                     "--survey", "nosuch"]) == 2
    assert "нет опроса с id 'nosuch'" in capsys.readouterr().err
