"""check-config: every problem in the YAML files is named with file, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    out = {}
    for name in ("directory", "survey", "calendar"):
        path = tmp_path / f"{name}.yaml"
        path.write_text((ROOT / f"{name}.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        monkeypatch.setenv(f"{name.upper()}_FILE", str(path))
        out[name] = path
    monkeypatch.chdir(tmp_path)  # no .env of the developer is read
    return out


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _check(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check-config"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_shipped_files_are_valid(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(capsys)
    assert code == 0, out
    assert "тем 6" in out and "в порядке" in out


def test_missing_field(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _edit(files["directory"], lambda d: d["topics"][1].pop("phones"))
    code, out = _check(capsys)
    assert code == 1
    assert f"{files['directory']}: topics.attestation.phones: Field required" in out


def test_wrong_type(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _edit(files["directory"], lambda d: d["visit_place"].update(latitude="север"))
    code, out = _check(capsys)
    assert code == 1
    assert f"{files['directory']}: visit_place.latitude:" in out and "number" in out


def test_duplicated_topic_id(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _edit(files["directory"], lambda d: d["topics"][2].update(id="attestation"))
    code, out = _check(capsys)
    assert code == 1
    assert "topics: повторяющийся id 'attestation'" in out


def test_bad_phone(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _edit(files["directory"], lambda d: d["topics"][0]["phones"].append("539-46-66"))
    code, out = _check(capsys)
    assert code == 1
    assert ("topics.competitions.phones: телефон '539-46-66' не в формате (8-812)539-46-66") in out


def test_unknown_department_and_need(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    def change(d: dict) -> None:
        d["topics"][3]["department"] = "nowhere"
        d["topics"][3]["needs"] = ["teleport"]

    _edit(files["directory"], change)
    code, out = _check(capsys)
    assert code == 1
    assert "topics.training.department: нет отдела с id 'nowhere'" in out
    assert "topics.training.needs: нет типовой потребности 'teleport'" in out


def test_broken_yaml_syntax(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    files["directory"].write_text("topics:\n  - id: x\n   bad: [\n", encoding="utf-8")
    code, out = _check(capsys)
    assert code == 1
    assert f"{files['directory']}: строка" in out and "синтаксическая ошибка YAML" in out


def test_survey_errors_are_reported_in_the_same_run(files: dict[str, Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _edit(files["directory"], lambda d: d["topics"][0].pop("emails"))

    def change(s: dict) -> None:
        s["surveys"][0]["questions"][0]["type"] = "dropdown"

    _edit(files["survey"], change)
    code, out = _check(capsys)
    assert code == 1
    assert "topics.competitions.emails: Field required" in out
    assert f"{files['survey']}: surveys.appendix1.questions.q1.type: Input should be" in out


def test_survey_condition_must_name_an_existing_option(files: dict[str, Path],
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    _edit(files["survey"], lambda s: s["surveys"][0]["questions"][4].update(
        show_if={"question": "q4", "equals": "Может быть"}))
    code, out = _check(capsys)
    assert code == 1
    assert f"{files['survey']}: surveys.appendix1: вопрос 'q5': в условии варианты, которых нет у 'q4': " \
           "Может быть" in out


def test_missing_file(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    files["calendar"].unlink()
    code, out = _check(capsys)
    assert code == 1
    assert f"{files['calendar']}: файл не найден" in out


def test_bot_refuses_to_start_on_invalid_file(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _edit(files["directory"], lambda d: d["topics"][1].pop("phones"))
    code = main(["demo"])
    err = capsys.readouterr().err
    assert code == 2
    assert "бот не запущен" in err and "topics.attestation.phones: Field required" in err


def test_calendar_warnings_name_the_year_and_the_day(files: dict[str, Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    def change(c: dict) -> None:
        c["years"][2027]["shortened"].append("2027-02-22")  # a day off moved from the working Saturday
        c["years"][2027]["working_days"] = ["2027-02-20"]  # the package knows it already

    _edit(files["calendar"], change)
    code, out = _check(capsys)
    assert code == 0, out
    assert f"Предупреждение: {files['calendar']}: 2027: внесён без сверки (verify: true)" in out
    assert "2027.shortened: 2027-02-22 — нерабочий день, сокращать нечего" in out
    assert "2027.working_days: 2027-02-20 — рабочий день и по пакету holidays, строку можно удалить" in out


def test_calendar_date_of_another_year_is_an_error(files: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _edit(files["calendar"], lambda c: c["years"][2026]["shortened"].append("2027-04-30"))
    code, out = _check(capsys)
    assert code == 1
    assert "2026.shortened: 2027-04-30 — дата другого года" in out


def test_departments_without_a_staff_destination_are_named(files: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped file names no chats (they differ per deployment): every department is warned
    about, with the topics whose requests would go nowhere."""
    monkeypatch.setenv("STAFF_CHATS", "personnel=telegram:-1001;awards=telegram:-1002")
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    code, out = _check(capsys)
    assert code == 0, out
    where = f"Предупреждение: {files['directory']}: departments"
    assert (f"{where}.selection: у отдела нет адреса для сотрудников (staff_destinations или STAFF_CHATS) — "
            f"обращения по темам «Конкурсы и кадровый резерв», «Аттестация» никуда не попадут (клиенту при этом "
            f"скажут, что обращение передано)") in out
    assert f"{where}.training:" in out and f"{where}.civil_service:" in out
    assert f"{where}.personnel:" not in out and f"{where}.awards:" not in out


def test_destinations_on_channels_without_settings_and_old_forms(
        files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _edit(files["directory"], lambda d: d["departments"][0].update(staff_chat="-1001234567890", staff_thread=2))
    monkeypatch.setenv("STAFF_CHATS", "personnel=-100500;awards=vk:2000000001,email:ok@lenreg.ru,max:-68012345")
    monkeypatch.setenv("STAFF_ADMIN_IDS", "vk:5")
    monkeypatch.setenv("DEPARTMENT_HEADS", "awards=max:7")
    monkeypatch.setenv("VK_TOKEN", "vk1.a.token")
    monkeypatch.setenv("VK_GROUP_ID", "77")
    code, out = _check(capsys)
    assert code == 0, out
    where = f"Предупреждение: {files['directory']}: departments"
    assert (f"{where}.selection.staff_chat: устаревшая запись — пишите staff_destinations: "
            f"[telegram:-1001234567890/2]") in out
    assert "Предупреждение: STAFF_CHATS: personnel: '-100500' — устаревшая запись, пишите telegram:-100500" in out
    assert (f"{where}.personnel: адрес telegram:-100500 — канал «Telegram» в этом развёртывании не настроен "
            f"(задайте TELEGRAM_TOKEN=<токен бота от @BotFather>): сообщения туда не дойдут") in out
    assert f"{where}.awards: адрес email:ok@lenreg.ru — канал «электронная почта» в этом развёртывании не настроен" \
        in out
    assert f"{where}.awards: адрес max:-68012345 — канал «MAX» в этом развёртывании не настроен" in out
    assert "vk:2000000001 — канал" not in out  # VK has its settings
    assert f"{where}.awards: руководитель max:7 — канал «MAX» не настроен" in out
    assert "STAFF_ADMIN_IDS: vk:5" not in out


def test_bad_addresses_and_ids_are_errors(files: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _edit(files["directory"], lambda d: d["departments"][1].update(staff_destinations=["vk:беседа"]))
    monkeypatch.setenv("STAFF_ADMIN_IDS", "telegram:1,admin")
    code, out = _check(capsys)
    assert code == 1
    assert (f"{files['directory']}: departments.civil_service.staff_destinations: адрес 'vk:беседа': id беседы "
            f"ВКонтакте — число 2000000000 + номер беседы, например vk:2000000001") in out
    _edit(files["directory"], lambda d: d["departments"][1].update(staff_destinations=["vk:2000000001"]))
    code, out = _check(capsys)
    assert code == 1
    assert "STAFF_ADMIN_IDS: 'admin': ожидается канал:id" in out and "Найдено ошибок: 1" in out
