"""Roster import of a generated 100,000-row .xlsx through the real CLI.

`tongbao roster import FILE --programme 2024 --json` end to end on a fresh migrated SQLite database,
under /usr/bin/time -v (wall time, peak RSS). Goals: ≤ 10 s wall time and ≤ 300 MB peak RSS on this
machine, judged on the median of RUNS runs (the slowest and the largest are shown too: the machine is
shared). For context only, the floor is measured in the same run: a Python process that reads the
same file with python-calamine and inserts the same rows with sqlite3 `executemany` into an empty
table.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import BIN, ROOT, out_dir, record, run_measured, timer

ROWS = 100_000
RUNS = 5  # the median of 5 is judged: the machine is shared
GOAL_WALL_S = 10.0
GOAL_RSS_MB = 300
HEADERS = ["序号", "统一社会信用代码", "企业名称", "所属区", "出口额（美元）", "联系人", "手机", "邮箱"]
DISTRICTS = ["宝安区", "南山区", "福田区", "前海深港合作区", "龙华区", "罗湖区", "光明区", "龙岗区", "坪山区", "盐田区"]
WORDS = ["华信", "宏达", "海纳", "鹏程", "天成", "创新", "博远", "恒通", "金桥", "盛世", "远航", "中科", "联创", "东方"]
TRADES = ["电子", "科技", "实业", "贸易", "进出口", "五金", "照明", "新能源", "电池", "纺织", "家具", "精密", "光电"]

FLOOR = """
import sqlite3, sys
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
con = sqlite3.connect(sys.argv[2])
con.execute("CREATE TABLE roster (n, uscc, name, district, amount, contact, mobile, email)")
con.executemany("INSERT INTO roster VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows[1:])
con.commit()
print(con.execute("SELECT COUNT(*) FROM roster").fetchone()[0])
"""


def generate(path: Path, rows: int = ROWS) -> int:
    """A realistic roster: valid USCCs, varied Chinese names, ~10 % above the threshold.
    Returns how many rows are eligible (≤ USD 8,000,000.00)."""
    import xlsxwriter

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from intranet.uscc import ALPHABET, check_digit

    rng = random.Random(20240520)  # noqa: S311 - benchmark data
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("名单")
    sheet.write_row(0, 0, HEADERS)
    eligible = 0
    for n in range(1, rows + 1):
        value, body = 7919 * n + 104729, ""
        for _ in range(9):
            body = ALPHABET[value % 31] + body
            value //= 31
        first17 = "91440300" + body
        amount = round(rng.uniform(10_000, 8_800_000), 2)
        eligible += amount <= 8_000_000
        name = f"深圳市{rng.choice(WORDS)}{rng.choice(TRADES)}{n}号有限公司"
        sheet.write_row(
            n,
            0,
            [
                n,
                first17 + check_digit(first17),
                name,
                DISTRICTS[n % len(DISTRICTS)],
                amount,
                f"联系人{n % 997}",
                f"13{n:09d}",
                f"contact{n}@exporter{n}.example.cn",
            ],
        )
    book.close()
    return eligible


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """bench.common.run_measured plus CPU time: (wall s, user+sys s, peak RSS MB, stdout). CPU time
    is what the work costs even when other jobs share the machine's cores."""
    before = os.times()
    wall, rss, stdout = run_measured(cmd, env)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, rss, stdout


def compile_app() -> None:
    """Byte-compile the app's modules first, as installing a package does: in an editable checkout
    run with PYTHONDONTWRITEBYTECODE (as here), every command would otherwise compile some 150
    modules from source (~0.1 s of start-up that no installed deployment pays)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "intranet"), str(ROOT / "notifier")],
        check=True,
        capture_output=True,
    )


def migrated_template(work: Path) -> Path:
    instance = work / "template"
    env = {"TONGBAO_INSTANCE_PATH": str(instance), "TONGBAO_DATABASE_URL": f"sqlite:///{instance / 'tongbao.db'}"}
    subprocess.run([str(BIN / "tongbao"), "db", "upgrade"], env={**os.environ, **env}, check=True, capture_output=True)
    return instance / "tongbao.db"


def main() -> None:
    out = out_dir("import_roster")
    xlsx = out / f"roster-{ROWS}.xlsx"
    with timer() as made:
        eligible = generate(xlsx)
    print(f"generated {xlsx.name} ({xlsx.stat().st_size / 1e6:.1f} MB) in {made['seconds']:.1f} s")
    compile_app()
    floors: list[tuple[float, float, float]] = []
    imports: list[tuple[float, float, float]] = []
    startups: list[tuple[float, float]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="tongbao-bench-") as tmp:
        work = Path(tmp)
        template = migrated_template(work)
        for run in range(RUNS):
            floor_db = work / f"floor-{run}.db"
            wall, cpu, rss, stdout = measure([sys.executable, "-c", FLOOR, str(xlsx), str(floor_db)])
            assert stdout.strip() == str(ROWS), stdout
            floors.append((wall, cpu, rss))
            instance = work / f"run-{run}"
            instance.mkdir()
            shutil.copyfile(template, instance / "tongbao.db")
            env = {
                "TONGBAO_INSTANCE_PATH": str(instance),
                "TONGBAO_DATABASE_URL": f"sqlite:///{instance / 'tongbao.db'}",
            }
            # context: what starting the app costs before any row is read (every CLI command pays it)
            startups.append(measure([str(BIN / "tongbao"), "roster", "import", "--help"], env)[:2])
            cmd = [str(BIN / "tongbao"), "roster", "import", str(xlsx), "--programme", "2024", "--json"]
            wall, cpu, rss, stdout = measure(cmd, env)
            result = json.loads(stdout)
            assert result["imported"] == eligible, result
            assert result["ineligible"] == ROWS - eligible, result
            assert result["errors"] == [], result["errors"][:3]
            imports.append((wall, cpu, rss))
            print(f"run {run + 1}: floor {floors[-1][0]:.2f} s, import {wall:.2f} s (cpu {cpu:.2f} s), {rss:.0f} MB")
    from intranet.roster.importing.writer import CHUNK

    median = statistics.median
    wall, slowest = median(i[0] for i in imports), max(i[0] for i in imports)
    cpu = median(i[1] for i in imports)
    rss, largest = median(i[2] for i in imports), max(i[2] for i in imports)
    floor, floor_cpu, floor_rss = median(f[0] for f in floors), median(f[1] for f in floors), max(f[2] for f in floors)
    start_wall, start_cpu = median(t[0] for t in startups), median(t[1] for t in startups)

    def verdict(value: float, goal: float, unit: str, places: int) -> str:
        if value <= goal:
            return f"met ({goal - value:.{places}f} {unit} to spare)"
        return f"MISSED by {value - goal:.{places}f} {unit} ({value / goal - 1:.0%})"

    time_verdict = verdict(wall, GOAL_WALL_S, "s", 1)
    rss_verdict = verdict(rss, GOAL_RSS_MB, "MB", 0)
    print(f"wall time {wall:.2f} s (goal ≤ {GOAL_WALL_S:.0f} s): {time_verdict}")
    print(f"peak RSS {rss:.0f} MB (goal ≤ {GOAL_RSS_MB} MB): {rss_verdict}")
    body = f"""
{ROWS:,}-row .xlsx ({xlsx.stat().st_size / 1e6:.1f} MB, {eligible:,} eligible) imported with
`tongbao roster import FILE --programme 2024 --json` on a fresh migrated SQLite database (the app's
modules byte-compiled first, as an installed package's are); median of {RUNS} runs (the slowest and
the largest in brackets). The machine was shared and busy: load average {load_before:.1f} at the
start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores.

| | wall time | CPU time (user+sys) | peak RSS |
| --- | ---: | ---: | ---: |
| `tongbao roster import` (CLI, end to end) | **{wall:.2f} s** ({slowest:.2f} s) | {cpu:.2f} s \
| **{rss:.0f} MB** ({largest:.0f} MB) |
| of which app start-up and exit (`tongbao roster import --help`) | {start_wall:.2f} s | {start_cpu:.2f} s | |
| context: the floor, calamine + sqlite3 `executemany` into an empty table | {floor:.2f} s | {floor_cpu:.2f} s \
| {floor_rss:.0f} MB |

Goals: wall time ≤ {GOAL_WALL_S:.0f} s — **{time_verdict}**; peak RSS ≤ {GOAL_RSS_MB} MB — **{rss_verdict}**.
The import reads the sheet with python-calamine, checks each batch of {CHUNK:,} rows, stages it with one
`executemany` through SQLAlchemy Core and upserts it set-based, all in one transaction (SQLite checks
every foreign key; its triggers fill the search index).
"""
    record("Roster import (100,000 rows)", body)


if __name__ == "__main__":
    main()
