"""Realistic roster data for the search benchmark: 100,000 Shenzhen exporters, bulk-inserted."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

from intranet.roster.search import grams_for, normalize_for_search
from intranet.uscc import ALPHABET, check_digit

PLACES = ["深圳市", "深圳", "深圳市", "深圳市", "深圳前海", "深圳市", "广东"]
BRAND_CHARS = (
    "华为中兴宏达海纳鹏程天成创新博远恒通金桥盛世远航联创汇丰利民东方南粤前程安达鑫源泰兴永盛嘉和德信"
    "富康瑞丰凯旋明辉佳美优品星光蓝海精工速达万家百川环宇新锐力拓伟业腾飞欣荣雅士红星旭日长城宝龙"
)
TRADES = [
    "电子",
    "科技",
    "实业",
    "贸易",
    "进出口",
    "五金",
    "照明",
    "新能源",
    "电池",
    "纺织",
    "家具",
    "精密",
    "光电",
    "医疗器械",
    "玩具",
    "电子科技",
    "智能",
    "通讯",
    "包装",
    "塑胶",
    "服饰",
    "供应链",
    "信息技术",
    "电器",
    "显示",
]
FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "发展有限公司", "（集团）有限公司"]
LATIN = ["Bright", "Ocean", "Star", "Nova", "Apex", "Delta", "Lumen", "Vertex", "Pioneer", "Summit"]
LATIN_TRADES = ["Electronics", "Technology", "Trading", "Lighting", "Industrial", "Textiles"]


def uscc_for(n: int) -> str:
    body = ""
    value = 7919 * n + 1000003
    for _ in range(9):
        body = ALPHABET[value % 31] + body
        value //= 31
    first17 = "91440300" + body
    return first17 + check_digit(first17)


def company_name(rng: random.Random, n: int) -> str:
    if n % 40 == 0:
        return f"Shenzhen {rng.choice(LATIN)} {rng.choice(LATIN_TRADES)} Co., Ltd. {n}"
    brand = "".join(rng.choice(BRAND_CHARS) for _ in range(rng.choice((2, 2, 2, 3, 4))))
    return f"{rng.choice(PLACES)}{brand}{rng.choice(TRADES)}{rng.choice(FORMS)}"


def stem_name(n: int) -> str:
    """The hostile board of issue 12: every name shares one stem and differs by a number."""
    return f"深圳市某某{n:06d}贸易有限公司"


def _rows(count: int, seed: int, stems: bool, stamp: str) -> tuple[list[str], list[tuple], list[tuple]]:
    """Names, enterprise rows and (roster-less) entry rows for `count` synthetic exporters."""
    rng = random.Random(seed)
    names: list[str] = []
    enterprises = []
    for n in range(1, count + 1):
        name = stem_name(n) if stems else company_name(rng, n)
        names.append(name)
        enterprises.append((n, uscc_for(n), name, f"联系人{n}", f"138{n:08d}", f"e{n}@x.cn", stamp, stamp))
    entries = []
    for n, uscc, name, *_rest in enterprises:
        norm = normalize_for_search(name)
        amount = rng.randrange(10_000_00, 8_000_000_00)
        entries.append((n, name, uscc, amount, norm, grams_for(norm), n + 1, stamp, stamp))
    return names, enterprises, entries


ENTERPRISES_SQL = (
    "INSERT INTO enterprises (id, uscc, name, district_id, contact_name, mobile, email,"
    " notify_email, notify_sms, monthly_notices, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, TRUE, TRUE, ?, ?)"
)
ENTRIES_SQL = (
    "INSERT INTO roster_entries (roster_id, programme_id, enterprise_id, name, uscc, district_id,"
    " export_amount_usd, eligible, status, search_norm, search_grams, source_row, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, 'listed', ?, ?, ?, ?, ?)"
)
ROSTER_SQL = (
    "INSERT INTO rosters (programme_id, seq, status, notice_start, notice_end, created_at, published_at)"
    " VALUES (?, 1, 'notice', ?, ?, ?, ?)"
)


def build(
    target: Path | str,
    *,
    count: int,
    year: int,
    notice_start: date,
    notice_end: date,
    seed: int = 100_000,
    stems: bool = False,
) -> list[str]:
    """Fill a migrated database (an SQLite file, or a PostgreSQL URL `postgresql+psycopg://…`) with
    `count` listed entries of `year`'s main roster, under notice: varied realistic names, or
    (`stems`) names sharing one stem and differing by a number.

    The shared-stem board keeps no planner statistics (SQLite: no ANALYZE; PostgreSQL: autovacuum
    off for the table, no ANALYZE): the planner's worst case, issue 12. Returns the names."""
    stamp = datetime(year, 5, 1, tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ")
    names, enterprises, entries = _rows(count, seed, stems, stamp)
    if isinstance(target, str) and target.startswith("postgresql"):
        _fill_postgres(target, year, notice_start, notice_end, stamp, enterprises, entries, analyze=not stems)
    else:
        _fill_sqlite(Path(target), year, notice_start, notice_end, stamp, enterprises, entries, analyze=not stems)
    return names


def _fill_sqlite(
    db_path: Path, year: int, start: date, end: date, stamp: str, enterprises: list, entries: list, *, analyze: bool
) -> None:
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    programme_id = con.execute("SELECT id FROM programmes WHERE year = ?", (year,)).fetchone()[0]
    districts = [row[0] for row in con.execute("SELECT id FROM districts ORDER BY id")]
    roster_id = con.execute(ROSTER_SQL, (programme_id, start.isoformat(), end.isoformat(), stamp, stamp)).lastrowid
    con.executemany(ENTERPRISES_SQL, [(*e[:3], districts[e[0] % len(districts)], *e[3:]) for e in enterprises])
    con.executemany(
        ENTRIES_SQL,
        [(roster_id, programme_id, r[0], r[1], r[2], districts[r[0] % len(districts)], *r[3:]) for r in entries],
    )
    con.commit()
    con.execute("INSERT INTO roster_entries_fts(roster_entries_fts) VALUES ('optimize')")
    con.execute("INSERT INTO roster_entries_tri(roster_entries_tri) VALUES ('optimize')")
    if analyze:
        con.execute("ANALYZE")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _fill_postgres(
    url: str, year: int, start: date, end: date, stamp: str, enterprises: list, entries: list, *, analyze: bool
) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con, con.cursor() as cur:
        programme_id = cur.execute("SELECT id FROM programmes WHERE year = %s", (year,)).fetchone()[0]  # type: ignore[index]
        districts = [row[0] for row in cur.execute("SELECT id FROM districts ORDER BY id")]
        if not analyze:  # no statistics, ever: autovacuum would gather them during the run
            cur.execute("ALTER TABLE roster_entries SET (autovacuum_enabled = false)")
        roster_id = cur.execute(
            ROSTER_SQL.replace("?", "%s") + " RETURNING id", (programme_id, start, end, stamp, stamp)
        ).fetchone()[0]  # type: ignore[index]
        with cur.copy(
            "COPY enterprises (id, uscc, name, district_id, contact_name, mobile, email, notify_email, notify_sms,"
            " monthly_notices, created_at, updated_at) FROM STDIN"
        ) as copy:
            for e in enterprises:
                copy.write_row((*e[:3], districts[e[0] % len(districts)], *e[3:6], True, True, True, *e[6:]))
        cur.execute("SELECT setval(pg_get_serial_sequence('enterprises', 'id'), (SELECT max(id) FROM enterprises))")
        with cur.copy(
            "COPY roster_entries (roster_id, programme_id, enterprise_id, name, uscc, district_id, export_amount_usd,"
            " eligible, status, search_norm, search_grams, source_row, created_at, updated_at) FROM STDIN"
        ) as copy:
            for r in entries:
                district = districts[r[0] % len(districts)]
                copy.write_row((roster_id, programme_id, r[0], r[1], r[2], district, r[3], True, "listed", *r[4:]))
        con.commit()
        con.autocommit = True  # VACUUM runs outside a transaction
        cur.execute("VACUUM ANALYZE" if analyze else "VACUUM roster_entries")  # visibility map either way
