"""Survey results for staff: figures, bar charts (PNG), a spreadsheet (XLSX) and CSV.

``build_report`` turns stored responses into figures; the renderers are pure functions of the
report, so the staff command and ``consult-bot survey-report`` give identical files. Shares are
taken of those who answered the question (a skipped or hidden question is not a "no").
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from handlers import texts
from handlers.domain.survey import Question, Survey
from handlers.inputs import make_date
from storage.survey import StoredResponse

if TYPE_CHECKING:
    from matplotlib.figure import Figure  # imported when a chart is drawn: matplotlib is slow to load

_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_RU = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
_NOTE = re.compile(r"\s*\((?:Один ответ|Любое число ответов|Текстовый ответ)\)\s*$")
JOIN = "; "  # multiple answers in one spreadsheet cell


def parse_day(text: str) -> date | None:
    """``2026-03-31`` or ``31.03.2026``; None if neither or not a real date of this century."""
    m = _ISO.match(text.strip())
    parts = (m.group(1), m.group(2), m.group(3)) if m else None
    if parts is None and (m := _RU.match(text.strip())):
        parts = (m.group(3), m.group(2), m.group(1))
    if parts is None:
        return None
    return make_date(int(parts[0]), int(parts[1]), int(parts[2]))


def short_text(question: Question) -> str:
    """The question without the trailing "(Один ответ)" hint meant for a paper form."""
    return _NOTE.sub("", " ".join(question.text.split()))


def question_head(question: Question) -> str:
    """The question itself, without the explanations after it (for chart titles)."""
    text = short_text(question)
    end = text.find("?")
    return text[:end + 1] if 0 < end < len(text) - 1 else text


def points_label(n: int) -> str:
    """``1 балл``, ``3 балла``, ``5 баллов``: the order's wording of a scale value."""
    n10, n100 = n % 10, n % 100
    if n10 == 1 and n100 != 11:
        word = "балл"
    elif 2 <= n10 <= 4 and not 12 <= n100 <= 14:
        word = "балла"
    else:
        word = "баллов"
    return f"{n} {word}"


def scale_legend(question: Question) -> str | None:
    """What the ends of a scale mean: ``1 балл — …; 5 баллов — …`` (None without labels)."""
    if question.type != "scale" or not (question.scale_min_label and question.scale_max_label):
        return None
    return texts.REPORT_SCALE_LEGEND.format(low=points_label(question.scale_min), low_label=question.scale_min_label,
                                           high=points_label(question.scale_max),
                                           high_label=question.scale_max_label)


def is_answered(value: Any) -> bool:
    return value is not None and value != "" and value != []


def percent(share: float) -> str:
    return f"{share * 100:.1f}".replace(".", ",") + " %"


def decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


@dataclass(frozen=True, slots=True)
class OptionStat:
    label: str
    count: int
    share: float  # of those who answered the question, 0..1
    extra: bool = False  # a value that is not among the current options (an older wording)


@dataclass(frozen=True, slots=True)
class QuestionStat:
    number: int  # 1-based position in the questionnaire
    question: Question
    answered: int
    options: tuple[OptionStat, ...]  # empty for text questions
    mean: float | None  # scales only
    texts: tuple[str, ...]  # text questions only, oldest first


@dataclass(frozen=True, slots=True)
class Headline:
    number: int
    option: str
    count: int
    answered: int

    @property
    def share(self) -> float:
        return self.count / self.answered if self.answered else 0.0


@dataclass(frozen=True, slots=True)
class Report:
    survey: Survey
    date_from: date
    date_to: date
    responses: tuple[StoredResponse, ...]
    questions: tuple[QuestionStat, ...]

    @property
    def total(self) -> int:
        return len(self.responses)

    @property
    def period(self) -> str:
        return f"{self.date_from:%d.%m.%Y} – {self.date_to:%d.%m.%Y}"

    @property
    def headline(self) -> Headline | None:
        h = self.survey.headline
        if h is None:
            return None
        stat = next(s for s in self.questions if s.question.id == h.question)
        count = next((o.count for o in stat.options if o.label == h.option), 0)
        return Headline(stat.number, h.option, count, stat.answered)

    def file_stem(self) -> str:
        return f"survey-{self.survey.id}-{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}"


def _question_stat(number: int, q: Question, values: list[Any]) -> QuestionStat:
    answered = [v for v in values if is_answered(v)]
    n = len(answered)
    if q.type == "text":
        return QuestionStat(number, q, n, (), None, tuple(str(v) for v in answered))
    counts: Counter[Any] = Counter()
    for v in answered:
        counts.update(v if isinstance(v, list) else [v])
    if q.type == "scale":
        known: list[Any] = list(q.scale_values())  # as the questionnaire lists them
        labels = {v: points_label(v) for v in known}
    else:
        known = list(q.options)
        labels = {v: v for v in known}
    stats = [OptionStat(labels[v], counts.get(v, 0), counts.get(v, 0) / n if n else 0.0) for v in known]
    for v in sorted((v for v in counts if v not in labels), key=str):
        stats.append(OptionStat(texts.REPORT_OLD_OPTION.format(label=v), counts[v], counts[v] / n, extra=True))
    mean = None
    if q.type == "scale":
        numbers = [v for v in answered if isinstance(v, int) and not isinstance(v, bool)]
        mean = sum(numbers) / len(numbers) if numbers else None
    return QuestionStat(number, q, n, tuple(stats), mean, ())


def build_report(survey: Survey, responses: list[StoredResponse], date_from: date, date_to: date) -> Report:
    """Figures of every question over the responses given (already limited to the period)."""
    rows = tuple(sorted(responses, key=lambda r: (r.submitted_on, r.id)))
    stats = tuple(_question_stat(i, q, [r.answers.get(q.id) for r in rows])
                  for i, q in enumerate(survey.questions, start=1))
    return Report(survey, date_from, date_to, rows, stats)


# --------------------------------------------------------------------------- text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def report_text(report: Report, *, max_texts: int = 10, chunk: int = 3500) -> list[str]:
    """The figures as messages of at most ``chunk`` characters (a messenger's limit is ~4000)."""
    lines = [texts.SURVEY_REPORT_HEAD.format(title=_clip(" ".join(report.survey.title.split()), 200),
                                             period=report.period, total=report.total)]
    if report.total == 0:
        return ["\n".join([*lines, texts.SURVEY_REPORT_NONE])]
    h = report.headline
    if h is not None:
        lines.append(texts.SURVEY_REPORT_HEADLINE.format(option=h.option, n=h.number, share=percent(h.share),
                                                         count=h.count, answered=h.answered))
    blocks = ["\n".join(lines)]
    for stat in report.questions:
        block = [f"{stat.number}. {_clip(short_text(stat.question), 160)} "
                 f"({texts.SURVEY_REPORT_ANSWERED.format(n=stat.answered)})"]
        if legend := scale_legend(stat.question):
            block.append(legend)
        for o in stat.options:
            block.append(f"• {_clip(o.label, 90)} — {o.count} ({percent(o.share)})")
        if stat.mean is not None:
            block.append(texts.SURVEY_REPORT_MEAN.format(mean=decimal(stat.mean)))
        shown = stat.texts[-max_texts:]
        block += [f"«{_clip(t, 300)}»" for t in shown]
        if len(stat.texts) > len(shown):
            block.append(texts.SURVEY_REPORT_MORE_TEXTS.format(n=len(stat.texts) - len(shown)))
        blocks.append("\n".join(block))
    messages: list[str] = []
    current = ""
    for block in blocks:
        if current and len(current) + 2 + len(block) > chunk:
            messages.append(current)
            current = ""
        current = f"{current}\n\n{block}" if current else block
    messages.append(current)
    return messages


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True, slots=True)
class Chart:
    filename: str
    caption: str
    png: bytes


def render_charts(report: Report) -> list[Chart]:
    """One bar chart per question with options or a scale that somebody answered."""
    charts: list[Chart] = []
    for stat in report.questions:
        if not stat.options or stat.answered == 0:
            continue
        buf = io.BytesIO()
        chart_figure(stat).savefig(buf, format="png")
        charts.append(Chart(f"{report.file_stem()}-q{stat.number}.png",
                            texts.SURVEY_REPORT_CHART.format(n=stat.number), buf.getvalue()))
    return charts


def chart_figure(stat: QuestionStat) -> Figure:
    """The bar chart of one question: options top down as in the questionnaire, or a scale's
    values left to right in its order, with what its ends mean under the bars."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = ["\n".join(textwrap.wrap(o.label, 45)) for o in stat.options]
    counts = [o.count for o in stat.options]
    scale = stat.question.type == "scale"
    height = 3.6 if scale else 1.4 + 0.75 * len(labels)
    fig = Figure(figsize=(9, height), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if scale:
        bars = ax.bar(labels, counts, color="#2b6cb0")
        ax.set_ylabel(texts.REPORT_CHART_COUNT)
        ax.set_ylim(0, max(counts) * 1.2 + 1)
        if legend := scale_legend(stat.question):
            ax.set_xlabel("\n".join(textwrap.wrap(legend, 110)), fontsize=9)
    else:
        bars = ax.barh(labels, counts, color="#2b6cb0")
        ax.invert_yaxis()  # the first option on top, as in the questionnaire
        ax.set_xlabel(texts.REPORT_CHART_COUNT)
        ax.set_xlim(0, max(counts) * 1.3 + 1)
    ax.bar_label(bars, labels=[f"{o.count} ({percent(o.share)})" for o in stat.options], padding=3,
                 fontsize=9)
    (ax.yaxis if scale else ax.xaxis).set_major_locator(MaxNLocator(integer=True))
    title = "\n".join(textwrap.wrap(f"{stat.number}. {question_head(stat.question)}", 100)[:3])
    note = texts.REPORT_CHART_ANSWERED.format(n=stat.answered)
    if stat.mean is not None:
        note += f"; {texts.REPORT_MEAN.lower()}: {decimal(stat.mean)}"
    fig.suptitle(f"{title}\n({note})", fontsize=10, x=0.01, ha="left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- files


def cell_value(question: Question, value: Any) -> str | int | None:
    """One answer as a spreadsheet cell: multiple answers joined, skipped as empty."""
    if not is_answered(value):
        return None
    if isinstance(value, list):
        return JOIN.join(str(v) for v in value)
    if question.type == "scale" and isinstance(value, int):
        return value
    return str(value)


def raw_rows(report: Report) -> list[list[Any]]:
    """One row per response: number, date, source, then one column per question."""
    out = []
    for i, r in enumerate(report.responses, start=1):
        row: list[Any] = [i, r.submitted_on, texts.REPORT_SOURCES.get(r.source, r.source)]
        row += [cell_value(q, r.answers.get(q.id)) for q in report.survey.questions]
        out.append(row)
    return out


def to_xlsx(report: Report) -> bytes:
    """A workbook with a summary sheet (every figure) and a sheet of raw answers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = texts.REPORT_SHEET_SUMMARY
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    ws.append([" ".join(report.survey.title.split())])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([texts.REPORT_PERIOD, report.period])
    ws.append([texts.REPORT_TOTAL, report.total])
    h = report.headline
    if h is not None:
        ws.append([texts.REPORT_HEADLINE.format(option=h.option, n=h.number), h.share])
        ws.cell(ws.max_row, 2).number_format = "0.0%"
    ws.append([texts.REPORT_SHARES_NOTE])
    ws.append([])
    ws.append(list(texts.REPORT_COLUMNS))
    for c in ws[ws.max_row]:
        c.font = bold
    header_row = ws.max_row
    for stat in report.questions:
        share_of_all = stat.answered / report.total if report.total else 0.0
        block: list[list[Any]] = [[stat.number, None, o.label, o.count, o.share] for o in stat.options]
        block.append([stat.number, None, texts.REPORT_TEXT_ANSWERS if stat.question.type == "text"
                      else texts.REPORT_ANSWERED, stat.answered, share_of_all])
        if stat.mean is not None:
            block.append([stat.number, None, texts.REPORT_MEAN, round(stat.mean, 2)])
        if legend := scale_legend(stat.question):
            block.append([stat.number, None, legend])
        block[0][1] = short_text(stat.question)
        for values in block:
            ws.append(values)
            if values[2] == texts.REPORT_MEAN:
                ws.cell(ws.max_row, 4).number_format = "0.00"
            else:
                ws.cell(ws.max_row, 5).number_format = "0.0%"
        ws.cell(ws.max_row - len(block) + 1, 2).alignment = wrap
        ws.append([])
    for col, width in zip("ABCDE", (6, 60, 45, 10, 10), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1)

    raw = wb.create_sheet(texts.REPORT_SHEET_RAW)
    raw.append([*texts.REPORT_RAW_COLUMNS,
                *(f"{i}. {short_text(q)}" for i, q in enumerate(report.survey.questions, start=1))])
    for c in raw[1]:
        c.font = bold
        c.alignment = wrap
    for row in raw_rows(report):
        raw.append(row)
        raw.cell(raw.max_row, 2).number_format = "DD.MM.YYYY"
    raw.freeze_panes = "D2"
    raw.column_dimensions["A"].width = 6
    raw.column_dimensions["B"].width = 12
    raw.column_dimensions["C"].width = 22
    for i in range(len(report.survey.questions)):
        raw.column_dimensions[get_column_letter(4 + i)].width = 30
    if report.total:
        raw.auto_filter.ref = raw.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(report: Report) -> bytes:
    """Raw answers for other tools: UTF-8, comma-separated, ISO dates, question ids as headers."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["response", "date", "source", *(q.id for q in report.survey.questions)])
    for i, r in enumerate(report.responses, start=1):
        writer.writerow([i, r.submitted_on.isoformat(), r.source,
                         *("" if (v := cell_value(q, r.answers.get(q.id))) is None else v
                           for q in report.survey.questions)])
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- command line


def write_files(report: Report, out: Path, *, csv_path: Path | None = None,
                charts_dir: Path | None = None) -> list[Path]:
    """The same files as the staff command gets, written to disk; returns the paths written."""
    written = [out]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(to_xlsx(report))
    if csv_path is not None:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        csv_path.write_bytes(to_csv(report))
        written.append(csv_path)
    if charts_dir is not None:
        charts_dir.mkdir(parents=True, exist_ok=True)
        for chart in render_charts(report):
            (charts_dir / chart.filename).write_bytes(chart.png)
            written.append(charts_dir / chart.filename)
    return written
