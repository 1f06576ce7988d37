from spotcheck.directory import demo
from spotcheck.lib.command import SpotcheckCommand


class Command(SpotcheckCommand):
    help = "创建演示区（巴南区）：镇街、部门、市场主体、执法人员和各角色账号 / create the demo district"

    def add_arguments(self, parser):
        parser.add_argument("--entities", type=int, default=5000, help="number of entities")

    def run(self, options):
        outcomes = demo.create(options["entities"])
        data = {"ok": all(o.ok for o in outcomes.values()),
                "imports": {k: o.as_dict() for k, o in outcomes.items()},
                "users": [u[0] for u in demo.DEMO_USERS]}
        lines = [f"{k}: {o.summary()}" for k, o in outcomes.items()]
        lines.append(f"演示账号 / demo logins (password: {demo.demo_password()}):")
        lines += [f"  {name:16} {role.label}" for name, role, _, _ in demo.DEMO_USERS]
        return self.result(data, "\n".join(lines), ok=data["ok"])
