"""Fill spotcheck/locale/en/LC_MESSAGES/django.po from the table below.

Run after `spotcheck makemessages -l en`; then `spotcheck compilemessages`.
Strings already bilingual ("中文 / English") keep their English half.
"""

from __future__ import annotations

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
EN.update({
    "事项编码": "Item code",
    "抽查事项": "Inspection item",
    "抽查依据": "Legal basis",
    "法律、法规、规章及条款。没有抽查依据的事项不能公布。": "The law, regulation or rule and its article. An item without a legal basis cannot be published.",
    "抽查主体": "Enforcing body",
    "抽查内容": "Content",
    "抽查方式": "Methods",
    "事项类别": "Category",
    "检查对象": "Target",
    "调整说明": "Note on the change",
    "书面检查": "Written check",
    "实地核查": "On-site check",
    "网络监测": "Online monitoring",
    "委托专业机构": "Entrusted to a professional body",
    "其他部门检查结果": "Results of other departments",
    "一般检查事项": "General item",
    "重点检查事项": "Key item",
    "草稿": "Draft",
    "已公布": "Published",
    "版本": "Version",
    "公布时间": "Published",
    "事项清单版本": "Item list version",
    "检查部门": "Inspected by",
    "检查日期": "Inspected on",
    "检查结果": "Result",
    "已有检查记录": "Inspection history",
    "已公布承诺，待抽取": "Committed, awaiting the draw",
    "已抽取": "Drawn",
    "已作废": "Void",
    "次序": "Attempt",
    "承诺时间": "Committed at",
    "计划抽取时间": "Planned draw time",
    "承诺值": "Commitment",
    "抽查对象范围摘要": "Frame digest",
    "执法人员库摘要": "Pool digest",
    "候选数": "Candidates",
    "执法人员数": "Inspectors",
    "公开随机数": "Public entropy",
    "随机种子": "Seed",
    "抽取时间": "Drawn at",
    "作废原因": "Why void",
    "抽取承诺": "Commitment",
    "公证员": "Notary",
    "人大代表": "People's Congress deputy",
    "政协委员": "CPPCC member",
    "媒体": "Press",
    "社会公众": "Member of the public",
    "身份": "Capacity",
    "单位": "Organisation",
    "待检查": "To inspect",
    "已录入": "Entered",
    "已退回": "Returned",
    "已审核": "Approved",
    "已公示": "Published",
    "已归档": "Archived",
    "已取消": "Cancelled",
    "分层": "Stratum",
    "签号": "Ticket",
    "抽取顺序": "Draw order",
    "检查任务": "Inspection task",
    "一般": "General",
    "加大抽查力度": "Heightened",
    "计划名称": "Plan name",
    "年度": "Year",
    "联合抽查的其他部门": "Other departments (joint plan)",
    "镇街（不选为全部）": "Townships (none: all)",
    "行业门类（不选为全部）": "Industry sections (none: all)",
    "市场主体类型（不选为全部）": "Entity types (none: all)",
    "投诉举报阈值（加大抽查力度）": "Complaints that make an entity heightened",
    "检查组人数": "Team size",
    "连续三年抽查结果良好的免于抽查": "Exempt entities with three good years",
    "开始日期": "Starts on",
    "结束日期": "Ends on",
    "已提交审批": "Submitted",
    "已批准": "Approved",
    "已固定抽取范围": "Committed",
    "已办结": "Closed",
    "计划编号": "Plan number",
    "牵头部门": "Lead department",
    "抽查范围": "Scope",
    "分层比例": "Strata",
    "投诉举报阈值": "Complaint threshold",
    "连续三年良好免于抽查": "Three-good-years exemption",
    "编制人": "Author",
    "批准人": "Approved by",
    "抽查计划": "Plans",
    "事项清单": "Item lists",
    "计划公示": "Public plans",
    "清单管理": "Manage lists",
    "事项清单草稿": "Item list draft",
    "目前没有草稿。": "There is no draft.",
    "新建草稿": "New draft",
    "新增事项": "Add an item",
    "基于现行第 %(v)s 版": "based on current version %(v)s",
    "缺少抽查依据": "No legal basis",
    "修改": "Edit",
    "删除": "Remove",
    "草稿中还没有事项。": "The draft has no items yet.",
    "与现行版本相比": "Compared with the current version",
    "新增": "Added",
    "暂不能公布：": "Cannot be published yet:",
    "公布此版本": "Publish this version",
    "放弃草稿": "Discard the draft",
    "修改事项": "Edit item",
    "保存到草稿": "Save to the draft",
    "取消": "Cancel",
    "事项清单管理": "Manage item lists",
    "每次调整都会形成新的版本；公布后的版本不再修改。没有抽查依据的事项不能公布。": "Every change makes a new version; a published version never changes. An item without a legal basis cannot be published.",
    "现行版本": "Current version",
    "项": "items",
    "继续编辑": "Continue editing",
    "调整清单（新建草稿）": "Change the list (new draft)",
    "从文件导入": "Import from a file",
    "版本比较": "Compare versions",
    "两个版本没有差别。": "The two versions are the same.",
    "返回清单": "Back to the list",
    "随机抽查事项清单": "Random inspection item lists",
    "法律法规规章没有规定的，一律不得擅自开展检查。以下是各部门现行公布的随机抽查事项清单及其历次版本。": "No inspection without a legal basis. These are each department's current published item lists and their history.",
    "事项数": "Items",
    "尚未公布": "Not yet published",
    "第 %(v)s 版，%(d)s 公布": "Version %(v)s, published %(d)s",
    "该部门尚未公布事项清单。": "This department has not published an item list.",
    "历次版本": "History",
    "与上一版比较": "compare with the previous version",
    "抽取现场": "Draw ceremony",
    "已公布的承诺": "The published commitment",
    "抽查对象范围": "Frame",
    "个": "entities",
    "执法人员库": "Inspector pool",
    "人": "inspectors",
    "计划抽取": "planned draw",
    "抽取结果": "Result",
    "服务器密钥（抽取后公开）": "Server secret (revealed after the draw)",
    "见证人": "Witnesses",
    "签号（ticket）": "Ticket",
    "检查组（首位为组长）": "Team (leader first)",
    "打印抽取证明（PDF）": "Print the draw certificate (PDF)",
    "抽取记录（JSON）": "Draw record (JSON)",
    "在浏览器中验证": "Verify in the browser",
    "公开随机数由见证人现场提供，首尾空白会被去除。操作人事先不知道它，见证人不知道服务器密钥，任何一方都无法左右结果。": "The witnesses supply the entropy on the spot (outer white space is removed). The operator cannot know it in advance and the witnesses do not know the server secret, so neither can steer the result.",
    "开始抽取": "Draw",
    "等待牵头部门管理员现场抽取。": "Waiting for the lead department's administrator to draw.",
    "验证抽取记录": "Verify a draw record",
    "本页在您的浏览器中用 Web Crypto 的 SHA-256 重新计算抽取记录的每一项检查（承诺值、抽查对象范围、执法人员库、随机种子、分层与样本量、抽中名单、检查组），除了读取记录本身，不向服务器询问任何东西。": "This page recomputes every check of a draw record (commitment, frame, pool, seed, strata, selection, teams) in your browser with Web Crypto's SHA-256, asking the server for nothing but the record.",
    "选择抽取记录文件（JSON）": "Choose a draw record (JSON)",
    "验证本计划公布的记录": "Verify this plan's published record",
    "联合抽查": "Joint plan",
    "牵头": "lead",
    "免于抽查": "Exemptions",
    "连续三年良好的免于抽查,不适用": "Three good years exempt,Not applied",
    "抽取预览（固定范围前）": "Draw preview (before the commitment)",
    "比例或数量": "Ratio or count",
    "将抽取": "To draw",
    "合计": "Total",
    "排除": "Excluded",
    "每人最多": "at most per inspector",
    "以下问题会使抽取被拒绝：": "These problems would refuse the draw:",
    "固定抽取范围并公布承诺": "Freeze the frame and publish the commitment",
    "提交审批": "Submit for approval",
    "本部门确认参与": "Confirm for my department",
    "批准": "Approve",
    "退回理由": "Reason",
    "退回修改": "Return",
    "您是本计划的编制人，不能批准（经本单位负责人批准）。": "You wrote this plan, so you cannot approve it.",
    "导出计划文件（JSON）": "Export the plan file (JSON)",
    "修改计划": "Edit plan",
    "编制抽查计划": "Write a plan",
    "牵头部门：%(d)s。选择其他部门即为联合抽查，须经各参与部门确认。": "Lead department: %(d)s. Choosing other departments makes a joint plan, which each must confirm.",
    "计划未保存，请修改以下问题：": "The plan was not saved. Please fix:",
    "基本信息": "Basics",
    "只能选择已公布事项清单中的事项；每个参与部门至少一项。": "Only items of published lists; at least one for each department.",
    "抽查比例（不得低于3%%）": "Ratios (at least 3%%)",
    "检查组": "Teams",
    "保存计划": "Save the plan",
    "编制新计划": "Write a new plan",
    "编号": "Number",
    "暂无计划。": "No plans yet.",
    "抽查比例": "Ratios",
    "抽取记录": "Draw record",
    "服务器密钥": "Server secret",
    "审计链锚点": "Audit anchor",
    "抽取证明（PDF）": "Draw certificate (PDF)",
    "抽查计划公示": "Published plans",
    "名称或编号": "Name or number",
    "暂无已批准的计划。": "No approved plans yet.",
})

EN.update({"我的检查任务": "My inspection tasks", "计划": "Plan", "主体": "Entity", "暂无检查任务。": "No tasks yet.",
           "暂无待抽取或已抽取的计划。": "No committed or drawn plans.", "最近的抽取": "Recent draws", "暂无。": "None yet."})

EN.update({"退出演示模式": "Leave presentation mode", "演示模式（投影）": "Presentation mode (projector)"})

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
