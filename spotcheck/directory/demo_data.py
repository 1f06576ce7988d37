"""Synthetic data of the demo district, 重庆市巴南区 (plain Python, no Django).

Used by ``spotcheck demo`` and by the benchmarks.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from stdnum.cn import uscc as uscc_check

# 巴南区's 街道 and 镇.
REGIONS = [
    ("500113001", "龙洲湾街道"), ("500113002", "鱼洞街道"), ("500113003", "花溪街道"),
    ("500113004", "李家沱街道"), ("500113005", "南泉街道"), ("500113006", "一品街道"),
    ("500113007", "南彭街道"), ("500113008", "惠民街道"), ("500113101", "界石镇"),
    ("500113102", "安澜镇"), ("500113103", "跳石镇"), ("500113104", "木洞镇"),
    ("500113105", "双河口镇"), ("500113106", "麻柳嘴镇"), ("500113107", "丰盛镇"),
    ("500113108", "二圣镇"), ("500113109", "东泉镇"), ("500113110", "姜家镇"),
    ("500113111", "天星寺镇"), ("500113112", "接龙镇"), ("500113113", "石滩镇"),
    ("500113114", "石龙镇"),
]

DEPARTMENTS = [
    ("SCJGJ", "区市场监管局", "巴南市场监管"),
    ("WJW", "区卫生健康委", "巴南卫生健康"),
    ("YJJ", "区应急管理局", "巴南应急"),
    ("STHJJ", "区生态环境局", "巴南生态环境"),
    ("ZJW", "区住房城乡建委", "巴南住房城乡建设"),
    ("JTJ", "区交通局", "巴南交通"),
    ("WHLYW", "区文化旅游委", "巴南文化旅游"),
    ("RSJ", "区人力社保局", "巴南人力社保"),
    ("NYNCW", "区农业农村委", "巴南农业农村"),
    ("SLJ", "区水利局", "巴南水利"),
    ("SWJ", "区商务委", "巴南商务"),
]

# Industry sections with realistic weights for a district's registrations.
INDUSTRY_WEIGHTS = {
    "F": 34, "H": 12, "O": 9, "L": 7, "C": 6, "E": 5, "A": 5, "I": 4, "M": 3, "G": 3,
    "K": 2, "R": 2, "Q": 2, "N": 1, "P": 1, "D": 1, "B": 1, "J": 1, "S": 1,
}
WORDS = list("鑫瑞恒达兴隆盛华宏泰福源祥和嘉顺锦程益丰汇通金")
WORDS += ["巴渝", "南泉", "长江", "龙洲", "花溪", "渝南", "云篆", "圣灯", "明月", "东温泉"]
TRADES = {
    "F": ["商贸", "百货", "超市", "建材"], "H": ["餐饮", "火锅", "酒店", "小面"],
    "O": ["家政", "汽车修理", "美容美发"], "L": ["商务咨询", "广告", "物业管理"],
    "C": ["机械制造", "食品加工", "塑料制品"], "E": ["建筑工程", "装饰工程"],
    "A": ["生态农业", "水果种植", "养殖"], "I": ["网络科技", "软件开发"],
}
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
def make_uscc(rng: random.Random, prefix: str) -> str:
    body = prefix + "500113" + "".join(rng.choice(ORG_ALPHABET) for _ in range(9))
    return body + uscc_check.calc_check_digit(body)


def csv_file(header: list[str], rows: Sequence[Sequence[object]]) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(text.getvalue().encode("utf-8"))


def entity_rows(count: int, seed: int = 2015) -> list[list[Any]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    rows: list[list[Any]] = []
    industries = list(INDUSTRY_WEIGHTS)
    weights = list(INDUSTRY_WEIGHTS.values())
    while len(rows) < count:
        kind = rng.choices(["enterprise", "individual", "cooperative"], [55, 42, 3])[0]
        code = make_uscc(rng, {"enterprise": "91", "individual": "92", "cooperative": "93"}[kind])
        if code in seen:
            continue
        seen.add(code)
        industry = "A" if kind == "cooperative" else rng.choices(industries, weights)[0]
        trade = rng.choice(TRADES.get(industry, ["服务"]))
        word = rng.choice(WORDS) + rng.choice(WORDS)
        region_code, region_name = rng.choice(REGIONS)
        if kind == "enterprise":
            name = f"重庆{word}{trade}有限公司"
        elif kind == "individual":
            name = f"巴南区{region_name[:2]}{word}{trade}店"
        else:
            name = f"重庆市巴南区{word}{trade}专业合作社"
        status = rng.choices(["active", "revoked", "deregistered"], [92, 5, 3])[0]
        established = date(2000, 1, 1) + timedelta(days=rng.randrange(9400))
        complaints = rng.choices([0, 1, 2, 3, 4, 6], [80, 9, 5, 3, 2, 1])[0]
        rows.append([
            code, name, kind, industry, region_code, status,
            f"重庆市巴南区{region_name}{rng.randrange(1, 400)}号", rng.choice("张王李刘陈杨赵黄周吴") + rng.choice(["伟", "芳", "敏", "静", "强", "磊", "洋", "艳"]),
            established.isoformat(),
            "是" if kind == "enterprise" and rng.random() < 0.05 else "否",
            "是" if rng.random() < 0.04 else "否",
            "是" if rng.random() < 0.01 else "否",
            complaints, rng.choices(["A", "B", "C", "D", ""], [30, 40, 12, 3, 15])[0],
        ])
    return rows


def inspector_rows(entity_codes: list[str], seed: int = 250) -> list[list[Any]]:
    rng = random.Random(seed)
    rows = []
    surnames = "张王李刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = ["建国", "晓东", "丽", "军", "海燕", "志强", "红梅", "斌", "雪", "鹏", "琳", "勇"]
    number = 0
    for index, (code, _name, _short) in enumerate(DEPARTMENTS):
        size = 24 if code == "SCJGJ" else 8
        for _ in range(size):
            number += 1
            expires = date(2027, 12, 31) if rng.random() > 0.05 else date(2025, 6, 30)
            conflicts = ";".join(rng.sample(entity_codes, 1)) if rng.random() < 0.15 else ""
            rows.append([
                f"5001130{index:02d}{number:04d}", rng.choice(surnames) + rng.choice(given), code,
                "inactive" if rng.random() < 0.04 else "active", expires.isoformat(), "", conflicts,
            ])
    return rows
