"""The model of survey.yaml: questionnaires (Appendix 1 of the order), their questions and the
invitation rules."""

from __future__ import annotations

from datetime import time
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from handlers.domain.fields import Ident, Strict, TimeRange


class Condition(Strict):
    """Show a question only if an earlier one was answered in a certain way."""

    question: Ident
    equals: str | None = None
    any_of: list[str] = []


class Question(Strict):
    id: Ident
    text: str
    type: Literal["single", "multiple", "scale", "text"]
    options: list[str] = []
    scale_min: int = 1
    scale_max: int = 5
    scale_min_label: str | None = None
    scale_max_label: str | None = None
    # The order the values are listed in: Appendix 1 prints its scales «1. 5 баллов … 5. 1 балл».
    scale_order: Literal["ascending", "descending"] = "ascending"
    required: bool = True
    max_length: int = Field(default=1000, ge=1, le=4000)
    show_if: Condition | None = None

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type in ("single", "multiple") and len(self.options) < 2:
            raise ValueError(f"вопросу типа {self.type} нужны хотя бы два варианта (options)")
        if self.type in ("scale", "text") and self.options:
            raise ValueError(f"у вопроса типа {self.type} не бывает вариантов (options)")
        if self.type == "scale" and not self.scale_min < self.scale_max <= self.scale_min + 9:
            raise ValueError("шкала: scale_min < scale_max, не больше 10 делений")
        if self.type == "scale" and self.scale_min != 1:
            raise ValueError("шкала должна начинаться с 1 (scale_min: 1)")
        return self

    def scale_values(self) -> list[int]:
        """The values of a scale in the order they are shown, reported and charted (the stored
        answer is the value — ``5`` for «5 баллов» — whatever its place in the list)."""
        values = list(range(self.scale_min, self.scale_max + 1))
        return values[::-1] if self.scale_order == "descending" else values


class Headline(Strict):
    """The key figure of a survey report: the share of one answer among those who answered."""

    question: Ident
    option: str


class Survey(Strict):
    id: Ident
    title: str
    intro: str
    thanks: str
    questions: list[Question] = Field(min_length=1)
    headline: Headline | None = None

    @model_validator(mode="after")
    def _refs(self) -> Survey:
        if self.headline:
            ref = next((q for q in self.questions if q.id == self.headline.question), None)
            if ref is None or ref.type not in ("single", "multiple"):
                raise ValueError(f"headline: нет вопроса с вариантами {self.headline.question!r}")
            if self.headline.option not in ref.options:
                raise ValueError(f"headline: у вопроса {ref.id!r} нет варианта {self.headline.option!r}")
        seen: dict[str, Question] = {}
        for q in self.questions:
            if q.id in seen:
                raise ValueError(f"повторяющийся id вопроса {q.id!r}")
            if q.show_if:
                ref = seen.get(q.show_if.question)
                if ref is None:
                    raise ValueError(f"вопрос {q.id!r}: условие ссылается на {q.show_if.question!r}, "
                                     "которого нет среди предыдущих вопросов")
                values = [v for v in [q.show_if.equals, *q.show_if.any_of] if v is not None]
                bad = [v for v in values if ref.options and v not in ref.options]
                if bad:
                    raise ValueError(f"вопрос {q.id!r}: в условии варианты, которых нет у {ref.id!r}: "
                                     + ", ".join(bad))
            seen[q.id] = q
        return self


class Invitations(Strict):
    """When the bot invites a client to a survey: delays after an event, at most one invitation per
    client per ``period_days``, an invitation valid ``valid_days``, sent only within ``send_hours``."""

    survey: Ident | None = None  # the default survey if empty
    delay_minutes: dict[Ident, int] = {"consultation": 120, "visit": 1440, "request": 60}
    period_days: int = Field(default=30, ge=1, le=3650)
    valid_days: int = Field(default=7, ge=1, le=365)
    send_hours: TimeRange = TimeRange(start=time(10), end=time(20))

    @field_validator("delay_minutes")
    @classmethod
    def _delays(cls, value: dict[str, int]) -> dict[str, int]:
        for reason, minutes in value.items():
            if not 0 <= minutes <= 60 * 24 * 60:
                raise ValueError(f"{reason}: задержка от 0 до 86400 минут (60 суток), получено {minutes}")
        return value

    @field_validator("send_hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        return TimeRange.parse(value)


class SurveyFile(Strict):
    default: Ident
    surveys: list[Survey] = Field(min_length=1)
    invitations: Invitations = Invitations()

    @model_validator(mode="after")
    def _default(self) -> SurveyFile:
        ids = [s.id for s in self.surveys]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"повторяющийся id опроса {dup!r}")
        if self.default not in ids:
            raise ValueError(f"default: нет опроса с id {self.default!r}")
        if self.invitations.survey and self.invitations.survey not in ids:
            raise ValueError(f"invitations.survey: нет опроса с id {self.invitations.survey!r}")
        return self

    def find(self, survey_id: str | None) -> Survey | None:
        return next((s for s in self.surveys if s.id == (survey_id or self.default)), None)

    def get(self, survey_id: str | None = None) -> Survey:
        wanted = survey_id or self.default
        return next(s for s in self.surveys if s.id == wanted)
