"""Fill spotcheck/locale/en/LC_MESSAGES/django.po from the table below.

Run after `spotcheck makemessages -l en`; then `spotcheck compilemessages`.
Strings already bilingual ("中文 / English") keep their English half.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

EN = {
    "区协调办": "District coordinator", "部门管理员": "Department administrator", "部门负责人": "Department head",
    "执法检查人员": "Inspector", "监督见证人": "Witness", "角色": "Role", "所属部门": "Department",
    "执法检查人员档案": "Inspector record", "姓名": "Name", "用户": "User", "登录失败记录": "Failed login",
    "序号": "Sequence", "时间": "Time", "操作人": "Actor", "操作": "Action", "对象类型": "Object type",
    "对象": "Object", "内容": "Payload", "前一条哈希": "Previous hash", "哈希": "Hash",
    "审计日志条目": "Audit entry", "审计日志": "Audit log", "审计链头": "Audit chain head", "不限": "Any",
    "是": "Yes", "否": "No", "名称或代码": "Name or code", "镇街": "Township", "全部": "All", "行业": "Industry",
    "类型": "Type", "状态": "Status", "涉外": "Foreign-related", "经营异常": "Abnormal operation",
    "严重违法失信": "Serious violation", "投诉举报≥": "Complaints ≥", "文件（.csv 或 .xlsx）": "File (.csv or .xlsx)",
    "回避对象的统一社会信用代码": "Credit code of the entity to avoid", "回避理由": "Reason for the conflict",
    "区划代码": "Region code", "名称": "Name", "部门代码": "Department code", "部门名称": "Department name",
    "简称": "Short name", "部门": "Department", "企业": "Enterprise", "个体工商户": "Individual business",
    "农民专业合作社": "Farmers' cooperative", "存续": "Active", "吊销": "Revoked", "注销": "Deregistered",
    "低风险": "Low risk", "一般风险": "General risk", "较高风险": "Higher risk", "高风险": "High risk",
    "统一社会信用代码": "Unified social credit code", "市场主体类型": "Entity type", "行业门类": "Industry section",
    "所属镇街": "Township", "登记状态": "Registration status", "住所": "Address",
    "法定代表人": "Legal representative", "成立日期": "Established on", "经营异常名录": "Abnormal-operation list",
    "近12个月投诉举报": "Complaints (12 months)", "信用风险分类": "Credit risk class", "更新时间": "Updated",
    "市场主体": "Entities", "市场主体名录库": "Market entity directory", "在岗": "Active", "离岗": "Inactive",
    "执法证号": "Certificate no.", "执法证有效期至": "Certificate valid until", "可检查事项": "Items",
    "执法检查人员名录库": "Inspector directory", "待确认": "Awaiting confirmation", "已确认": "Confirmed",
    "回避对象": "Conflicts of interest", "排队中": "Queued", "进行中": "Running", "已完成": "Done",
    "被拒绝": "Refused", "出错": "Failed", "文件名": "File name", "导入任务": "Import", "无权访问": "Access denied",
    "未找到": "Not found", "您要找的页面或记录不存在，或者您无权查看。": "The page or record does not exist, or you may not see it.",
    "工作台": "Workbench", "查询": "Search", "导入": "Import", "查看": "View", "基础数据": "Reference data",
    "导入镇街": "Import townships", "导入部门": "Import departments", "查看与验证": "View and verify",
    "本部门执法检查人员": "Our department's inspectors", "查看与确认回避": "View and confirm conflicts",
    "我的档案": "My record", "查看档案与申报回避": "My record and conflict declarations",
    "账号尚未关联执法人员档案。": "This account is not linked to an inspector record.", "监督见证": "Witnessing",
    "您可以观看抽取过程、提供公开随机数，并核验任何一次抽取的记录。": "You can watch draws, supply public entropy, and verify any draw's record.",
    "登录": "Log in", "用户名": "Username", "密码": "Password", "链头": "Head", "验证整条哈希链": "Verify the whole chain",
    "哈希链完好：共 %(n)s 条。": "The chain is intact: %(n)s entries.", "哈希链在第 %(p)s 条处损坏：": "The chain is broken at position %(p)s: ",
    "暂无记录。": "No entries yet.", "随机抽查监管平台": "Random Spot-Check Platform", "公示": "Public",
    "透明度": "Transparency", "执法人员": "Inspectors", "退出": "Log out", "双随机、一公开": "double random, one public",
    "返回名录库": "Back to the directory", "清除": "Clear", "导出CSV": "Export CSV", "导出Excel": "Export Excel",
    "标记": "Flags", "代码": "Code", "异常": "Abnormal", "严重违法": "Serious violation", "投诉": "Complaints",
    "没有符合条件的市场主体。": "No entity matches.", "上传并导入": "Upload and import", "列": "Columns",
    "中文表头": "Chinese header", "必填": "Required", "最近的导入": "Recent imports",
    "导入被拒绝，未写入任何数据：共 %(n)s 处错误。": "Import refused, nothing written: %(n)s errors.",
    "行": "Row", "原因": "Reason", "再导入一个文件": "Import another file", "已过期": "Expired",
    "本部门全部事项": "All items of the department", "理由": "Reason", "来源": "Source", "本人申报": "Self-declared",
    "名单导入": "Roster import", "确认": "Confirm", "无回避对象。": "No conflicts.", "申报回避": "Declare a conflict",
    "提交申报": "Submit", "返回人员名录": "Back to inspectors", "筛选": "Filter", "导入人员名单": "Import inspectors",
    "待确认的回避申报": "Declared conflicts awaiting confirmation", "有效期": "Valid until",
    "暂无执法检查人员。": "No inspectors yet.", "上一页": "Previous", "第 %(n)s / %(total)s 页": "Page %(n)s of %(total)s",
    "下一页": "Next", "覆盖 %(n)s 个镇街": "Covering %(n)s townships", "参与部门": "Departments",
    "这是什么？": "What is this?", "审计日志链头": "The audit log's chain head",
    "共 %(n)s 个": "%(n)s entity",
    "导入": "Import",
    "上传 .csv（UTF-8 或 GB18030）或 .xlsx 文件。第一行为表头，可用英文键名或中文表头。任何一行有错，整个文件都不会写入，并列出每一处错误。":
        "Upload a .csv (UTF-8 or GB18030) or .xlsx file. The first row is the header, with English keys or Chinese headers. If any row is wrong, nothing is written and every error is listed.",
    "导入成功：%(rows)s 行，新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s。":
        "Imported %(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
    "随机抽取检查对象，随机选派执法检查人员，抽查情况及查处结果及时向社会公开。每一次抽取都可以由任何人用 SHA-256 复算验证。":
        "Inspection targets and inspectors are drawn at random, and the results are published. Anyone can recompute every draw with SHA-256.",
    "平台对计划、抽取、检查任务、检查结果和数据导入的每一次操作都记入审计日志，并用哈希链把所有条目串联起来。下面是当前的链头：请保存一份副本。日后如果有人改写历史，已保存的链头就无法再与日志对上。":
        "Every action on plans, draws, tasks, results and imports is written to an audit log whose entries are joined by a hash chain. Below is the current head: keep a copy. If anyone rewrites history later, the copy you kept will no longer match.",
    "登录失败次数过多，请稍后再试 / too many failed logins, please try again later": "Too many failed logins, please try again later",
    "用户名或密码不正确 / wrong username or password": "Wrong username or password",
    "只接受 .csv 或 .xlsx 文件 / only .csv or .xlsx files": "Only .csv or .xlsx files",
}
HEADER = [
    '"Project-Id-Version: spotcheck\\n"',
    '"Language: en\\n"',
    '"MIME-Version: 1.0\\n"',
    '"Content-Type: text/plain; charset=UTF-8\\n"',
    '"Content-Transfer-Encoding: 8bit\\n"',
    '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
]
PLURAL = {"共 %(n)s 个": ("%(n)s entity", "%(n)s entities"), "共 %(n)s 人": ("%(n)s inspector", "%(n)s inspectors")}


def unquote(s: str) -> str:
    return s[1:-1].replace('\\"', '"').replace("\\n", "\n")


def quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main(path: str) -> int:
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    out: list[str] = []
    missing: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "#, fuzzy" and i + 1 < len(lines) and lines[i + 1] == 'msgid ""':
            i += 1
            continue
        if line.startswith("msgid "):
            msgid = unquote(line[6:])
            out.append(line)
            i += 1
            while i < len(lines) and lines[i].startswith('"'):
                msgid += unquote(lines[i])
                out.append(lines[i])
                i += 1
            plural = None
            if i < len(lines) and lines[i].startswith("msgid_plural"):
                plural = True
                out.append(lines[i])
                i += 1
            # skip existing msgstr lines
            while i < len(lines) and (lines[i].startswith("msgstr") or lines[i].startswith('"')):
                i += 1
            if msgid == "":
                out.append('msgstr ""')
                out.extend(HEADER)
                continue
            if plural:
                one, many = PLURAL.get(msgid, (EN.get(msgid, ""), EN.get(msgid, "")))
                out.append(f"msgstr[0] {quote(one)}")
                out.append(f"msgstr[1] {quote(many)}")
            else:
                text = EN.get(msgid)
                if text is None and " / " in msgid:
                    text = msgid.split(" / ", 1)[1]
                if text is None:
                    missing.append(msgid)
                    text = ""
                out.append(f"msgstr {quote(text)}")
            continue
        out.append(line)
        i += 1
    Path(path).write_text("\n".join(out), encoding="utf-8")
    for m in missing:
        print("untranslated:", m, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
