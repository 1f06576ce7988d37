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
        size = {"SCJGJ": 24, "WJW": 16}.get(code, 8)
        for _ in range(size):
            number += 1
            expires = date(2027, 12, 31) if rng.random() > 0.05 else date(2025, 6, 30)
            conflicts = ";".join(rng.sample(entity_codes, 1)) if rng.random() < 0.15 else ""
            rows.append([
                f"5001130{index:02d}{number:04d}", rng.choice(surnames) + rng.choice(given), code,
                "inactive" if rng.random() < 0.04 else "active", expires.isoformat(), "", conflicts,
            ])
    return rows


# Inspection items (随机抽查事项) of the demo departments, each with its legal basis.
ITEMS = [
    ("SCJGJ-001", "SCJGJ", "企业公示信息抽查", "《企业信息公示暂行条例》第十四条", "区市场监管局",
     "企业年度报告公示信息、即时公示信息的真实性", "written;onsite;online", "general", "辖区内企业"),
    ("SCJGJ-002", "SCJGJ", "食品经营者监督检查", "《中华人民共和国食品安全法》第一百一十条", "区市场监管局",
     "食品经营许可、进货查验记录、从业人员健康管理", "onsite", "key", "食品经营者"),
    ("SCJGJ-003", "SCJGJ", "产品质量监督抽查", "《中华人民共和国产品质量法》第十五条", "区市场监管局",
     "产品标准执行、标识标注和质量状况", "onsite;entrusted", "general", "生产者、销售者"),
    ("WJW-001", "WJW", "公共场所卫生监督检查", "《公共场所卫生管理条例》第十条", "区卫生健康委",
     "卫生许可、从业人员健康证明、卫生设施和消毒", "onsite", "general", "住宿、美容美发等公共场所"),
    ("WJW-002", "WJW", "医疗机构依法执业检查", "《医疗机构管理条例》第四十条", "区卫生健康委",
     "执业许可、人员资质、诊疗科目", "onsite;written", "key", "医疗机构"),
    ("YJJ-001", "YJJ", "安全生产监督检查", "《中华人民共和国安全生产法》第六十五条", "区应急管理局",
     "安全生产责任制、隐患排查治理、应急预案", "onsite", "key", "生产经营单位"),
    ("STHJJ-001", "STHJJ", "排污单位执法检查", "《中华人民共和国环境保护法》第二十四条", "区生态环境局",
     "排污许可、污染防治设施运行、自行监测", "onsite;online", "general", "排污单位"),
    ("ZJW-001", "ZJW", "建筑施工安全检查", "《建设工程安全生产管理条例》第四十条", "区住房城乡建委",
     "施工现场安全防护、特种作业人员持证", "onsite", "general", "建筑施工企业"),
    ("JTJ-001", "JTJ", "道路运输经营者检查", "《中华人民共和国道路运输条例》第七十七条", "区交通局",
     "经营许可、车辆技术状况、从业资格", "onsite;written", "general", "道路运输经营者"),
    ("WHLYW-001", "WHLYW", "文化市场经营单位检查", "《娱乐场所管理条例》第三十三条", "区文化旅游委",
     "经营许可、经营行为、安全管理", "onsite", "general", "娱乐场所等文化市场经营单位"),
    ("RSJ-001", "RSJ", "劳动保障书面审查", "《劳动保障监察条例》第十五条", "区人力社保局",
     "劳动合同签订、工资支付、社会保险参保", "written", "general", "用人单位"),
    ("NYNCW-001", "NYNCW", "农药经营检查", "《农药管理条例》第四十一条", "区农业农村委",
     "农药经营许可、经营台账", "onsite", "general", "农药经营者"),
    ("SLJ-001", "SLJ", "取水许可监督检查", "《取水许可和水资源费征收管理条例》第四十五条", "区水利局",
     "取水许可、计量设施", "onsite", "general", "取水单位"),
    ("SWJ-001", "SWJ", "单用途商业预付卡检查", "《单用途商业预付卡管理办法（试行）》第三十六条", "区商务委",
     "备案、资金存管、信息报送", "written;onsite", "general", "发卡企业"),
]
ITEM_HEADER = ["code", "department", "name", "basis", "subject", "content", "methods", "category", "target"]


def history_rows(entity_codes: list[str], year: int, seed: int = 2016) -> list[list[Any]]:
    """Inspections of the last three years by 区市场监管局, and a few by a city-level agency this year."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    steady = entity_codes[: len(entity_codes) // 25]  # inspected every year: candidates for exemption
    for past in (year - 1, year - 2, year - 3):
        chosen = set(steady) | set(rng.sample(entity_codes, len(entity_codes) // 30))
        for code in sorted(chosen):
            result = "no_issue" if rng.random() < 0.9 else rng.choice(["corrected", "disclosure_violation"])
            day = date(past, rng.randrange(3, 12), rng.randrange(1, 28))
            rows.append([code, "SCJGJ", "SCJGJ-001", day.isoformat(), result])
    for code in rng.sample(entity_codes, len(entity_codes) // 100):
        day = date(year, 3, rng.randrange(1, 28))
        rows.append([code, "重庆市市场监督管理局", "SCJGJ-002", day.isoformat(), "no_issue"])
    return rows
