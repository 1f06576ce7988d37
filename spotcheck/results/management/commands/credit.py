from spotcheck.directory.models import Entity
from spotcheck.lib.command import Refused, SpotcheckCommand
from spotcheck.results.models import Category, FollowUp
from spotcheck.results.public import credit_record


class Command(SpotcheckCommand):
    help = ("市场主体的信用记录：已公示的检查结果、行政许可、行政处罚和连续三年良好免检情况 / an entity's public "
            "credit record: its published results, licences and penalties, and whether it is exempt from random "
            "checks (rules.md R3). "
            "Example: spotcheck credit 91500113MA5U000000 --json")

    def add_arguments(self, parser):
        parser.add_argument("code", help="unified social credit code (统一社会信用代码)")

    def run(self, options):
        code = options["code"].strip().upper()
        entity = Entity.objects.filter(uscc=code).first()
        if entity is None:
            raise Refused(f"市场主体名录库中没有统一社会信用代码为“{code}”的主体 / no entity {code}")
        record = credit_record(entity)
        data = record.as_json()
        categories, follow_ups = dict(Category.choices), dict(FollowUp.choices)
        lines = [f"{entity.name}（{entity.uscc}）信用记录 / credit record", ""]
        for r in data["results"]:
            line = (f"{r['inspected_on'] or '—'}  {r['plan']}  {record.department_names.get(r['department'], r['department'])}"
                    f"  {r['item']}  {categories.get(r['result'], r['result'])}"
                    f"  后续处置：{follow_ups.get(r['follow_up'], r['follow_up']) or '—'}  公示 {r['published_at']}")
            if r["corrects"]:
                line += f"  （更正记录 #{r['corrects']}：{r['correction_reason']}）"
            for done in r["follow_up_done"]:
                line += f"  处置完成 {done['done_on']}：{done['action']}"
            lines.append(f"#{r['id']}  {line}")
        if not data["results"]:
            lines.append("暂无已公示的检查结果 / no published result")
        lines += ["", "行政许可 / licences"]
        for lic in record.licences:
            lines.append(f"{lic.licence_type}  {lic.number}  {lic.issuer_name}  {lic.valid_from:%Y-%m-%d} — "
                         f"{f'{lic.valid_to:%Y-%m-%d}' if lic.valid_to else '长期'}  {lic.get_status_display()}")
        if not record.licences:
            lines.append("暂无 / none")
        lines += ["", "行政处罚 / penalties"]
        for p in record.penalties:
            lines.append(f"{p.decision_date:%Y-%m-%d}  {p.decision_no}  {p.department_name}  {p.summary}"
                         + (f"  罚没金额 {p.amount}元" if p.amount is not None else ""))
        if not record.penalties:
            lines.append("暂无 / none")
        lines.append("")
        if data["exempt_until"]:
            names = "、".join(record.department_names.get(c, c) for c in data["exempt_for_departments"])
            lines.append(f"{data['exempt_until']}年度免于随机抽查（连续三年抽查结果良好），适用于以下部门的抽查计划：{names}"
                         f" / exempt from random checks in {data['exempt_until']} for plans of these departments")
        else:
            lines.append("不免于随机抽查 / not exempt from random checks")
        return self.result(data, "\n".join(lines))
